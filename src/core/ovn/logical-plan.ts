import type { DesiredPort } from '../model.js';
import { REQUESTED_TNL_KEY, desiredLsp, desiredSwitch, type DesiredLsp, type DesiredSwitch } from './logical-records.js';
import { lspMatches, switchMatches, type NbView, type OwnLsp } from './nb-view.js';

/** The northbound work of one pass, decided purely from the desired ports and the replica. */
export interface LogicalPlan {
  /** Tenant switches no host has made yet. */
  readonly createSwitches: readonly DesiredSwitch[];
  /**
   * Switches whose requested tunnel key is not the tenant id (the tenant's id changed, or the hosts'
   * manifests disagree): reported, never rewritten — two hosts with different manifests would rewrite
   * it back and forth, each change triggering the other's pass.
   */
  readonly staleTunnelKeys: readonly { readonly name: string; readonly has: string | undefined; readonly want: DesiredSwitch }[];
  /** This chassis' ports no desired port matches: deleted (only ever our own). */
  readonly release: readonly OwnLsp[];
  /** Desired ports without their logical port: claimed (inserted, guarded against other hosts). */
  readonly claim: readonly DesiredLsp[];
  /** Desired ports whose logical port is in place, by namespace key. */
  readonly claimed: ReadonlySet<string>;
}

/**
 * desired (every port this host wants: kept and new) against the northbound
 * view. `claimFor` limits the claims to the ports the pass is about to plug or
 * keeps (a deferred namespace claims when its turn comes); releases are
 * decided over every desired port, so a deferred namespace's claim survives.
 */
export function planLogical(
  desired: Iterable<Pick<DesiredPort, 'key' | 'hostIf' | 'tenant' | 'tenantId' | 'ip' | 'mac'>>,
  view: NbView,
  systemId: string,
  claimFor: (key: string) => boolean = () => true,
): LogicalPlan {
  const wanted = new Map<string, DesiredLsp>();
  const tenants = new Map<string, DesiredSwitch>();
  for (const d of desired) {
    // IPv6-only ports never reach ovn mode (withoutIpv6 refuses them); a logical port needs an IPv4 address.
    if (d.ip === undefined) continue;
    const l = desiredLsp({ ...d, ip: d.ip }, systemId);
    wanted.set(l.name, l);
    if (!tenants.has(d.tenant)) tenants.set(d.tenant, desiredSwitch(d.tenant, d.tenantId));
  }
  const release: OwnLsp[] = [];
  const claimed = new Set<string>();
  for (const o of view.own.values()) {
    const d = wanted.get(o.name);
    if (d && lspMatches(o, d)) claimed.add(d.key);
    else release.push(o);
  }
  const claim = [...wanted.values()].filter((l) => !claimed.has(l.key) && claimFor(l.key));
  const createSwitches: DesiredSwitch[] = [];
  const staleTunnelKeys: { name: string; has: string | undefined; want: DesiredSwitch }[] = [];
  for (const s of tenants.values()) {
    const row = view.switches.get(s.name);
    if (!row) createSwitches.push(s);
    else if (!switchMatches(row, s)) staleTunnelKeys.push({ name: row.name, has: row.other_config[REQUESTED_TNL_KEY], want: s });
  }
  return { createSwitches, staleTunnelKeys, release, claim, claimed };
}
