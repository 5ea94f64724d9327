import type { DesiredDeps, HeldAddress } from '../../core/desired.js';
import type { DesiredPort, DesiredState, NamespaceVerdict, OwnedPort } from '../../core/model.js';
import { lspName } from '../../core/ovn/names.js';
import { claimedAddresses, heldElsewhere, nbView } from '../../core/ovn/nb-view.js';
import { planLogical } from '../../core/ovn/logical-plan.js';
import { macFor } from '../../core/names.js';
import type { MacDeriver } from '../../core/macs.js';
import type { Tenant } from '../../manifests/types.js';
import type { Logger } from '../../observe/logger.js';
import type { Metrics } from '../../observe/metrics.js';
import type { FailureBook } from '../failures.js';
import type { LogicalSide } from './logical-side.js';

/** A claim lost to another host is retried this soon (it picks another address then), growing per attempt. */
export const CLAIM_RETRY_MS = 50;
export const CLAIM_RETRY_MAX_MS = 1_000;

/**
 * MACs in OVN mode: the chassis name is in the hash, since namespace keys
 * (path#inode) repeat across hosts; uniqueness across hosts is then checked
 * against the northbound database like addresses.
 */
export function chassisMacs(systemId: string, base: MacDeriver = macFor): MacDeriver {
  return (key, attempt) => base(`${systemId}/${key}`, attempt);
}

/**
 * The ovn backend's part of a reconcile pass (the reconciler calls it at four
 * points): the northbound view before desired state (addresses and MACs held
 * by other hosts, this chassis' claims), the logical port name on each
 * desired port, releases after the local removal, and claims before the plug.
 * No OpenFlow: ovn-controller owns the integration bridge's flows.
 */
export class OvnSteps {
  /** Warnings given once: per tenant (gateway, IPv6) and per stale tunnel key. */
  private readonly warned = new Set<string>();

  constructor(readonly side: LogicalSide, private readonly log: Logger, private readonly metrics: Metrics) {}

  get systemId(): string {
    return this.side.systemId;
  }

  /**
   * Inputs of computeDesired in ovn mode. A recorded port whose logical port
   * is gone and whose address or MAC another port now holds (our logical port
   * was deleted under us and another host took the address) is left out of
   * `owned` here, so it gets a new address and is replugged. A port whose
   * logical port is in place keeps its address: its claim committed.
   */
  prepare(owned: readonly OwnedPort[], tenants: ReadonlyMap<string, Tenant>, core: DesiredDeps): { owned: readonly OwnedPort[]; core: DesiredDeps; remembered: ReadonlyMap<string, HeldAddress> } {
    const view = nbView(this.side.snapshot(), this.systemId);
    const elsewhere = heldElsewhere(view);
    const kept = owned.filter((o) => {
      const ip = o.cidr?.split('/')[0] ?? '';
      const mine = view.own.get(lspName(this.systemId, o.name));
      if (mine && mine.ip === ip && mine.mac === o.mac) return true;
      return !elsewhere.addresses(o.tenant).has(ip) && !elsewhere.macs.has(o.mac);
    });
    if (kept.length !== owned.length) {
      for (const o of owned.filter((x) => !kept.includes(x))) this.log.warn({ port: o.name, tenant: o.tenant, ip: o.cidr, mac: o.mac }, 'address or MAC of a port in place is held by another host\'s logical port: readdressed');
    }
    const prefix = (t: string): number | undefined => {
      const s = tenants.get(t)?.subnet;
      return s === undefined ? undefined : Number(s.split('/')[1]);
    };
    return {
      owned: kept,
      core: { ...core, heldElsewhere: elsewhere, mac: chassisMacs(this.systemId, core.mac) },
      remembered: claimedAddresses(view, prefix),
    };
  }

  /** Each desired port names its logical port (bound by external_ids:iface-id); a port recorded without it is replugged. */
  bind(desired: DesiredState): DesiredState {
    const ports = new Map<string, DesiredPort>();
    // L2 only for now: no default route through a gateway nobody builds in ovn mode. (IPv6 is taken off
    // before, by withoutIpv6: the logical port's port security lists the IPv4 address only.)
    for (const [k, d] of desired.ports) ports.set(k, { ...d, gateway: undefined, ifaceId: lspName(this.systemId, d.hostIf) });
    const verdicts = new Map<string, NamespaceVerdict>();
    for (const [k, v] of desired.verdicts) verdicts.set(k, v.kind === 'desired' ? { ...v, port: ports.get(k) ?? v.port } : v);
    return { ports, verdicts };
  }

  /** Gateways are not built in ovn mode (L2 only): a tenant asking for one is told once. */
  noGateways(tenants: ReadonlyMap<string, Tenant>): [] {
    for (const t of tenants.values()) {
      if (t.subnet6 !== undefined && !this.warned.has(`${t.name}/6`)) {
        this.warned.add(`${t.name}/6`);
        if (t.subnet === undefined) this.log.warn({ tenant: t.name, subnet6: t.subnet6 }, 'backend ovn is IPv4 only for now: the tenant is IPv6-only, so none of its namespaces is plugged');
        else this.log.warn({ tenant: t.name, subnet6: t.subnet6 }, 'backend ovn is IPv4 only for now: the tenant\'s workloads get no IPv6 address');
      }
      const wants = t.gateway !== undefined || t.egress !== undefined;
      if (wants && !this.warned.has(t.name)) {
        this.warned.add(t.name);
        this.log.warn({ tenant: t.name, gateway: t.gateway }, 'backend ovn is L2 only for now: no tenant gateway or egress (the workloads get no default route through one)');
      }
    }
    return [];
  }

  /** Deletes this chassis' logical ports no desired port matches (after their local ports went). */
  async release(desired: DesiredState): Promise<number> {
    const view = nbView(this.side.snapshot(), this.systemId);
    const { release } = planLogical(desired.ports.values(), view, this.systemId, () => false);
    if (release.length === 0) return 0;
    await this.side.release(release);
    for (const l of release) this.log.info({ lsp: l.name, tenant: l.tenant, ip: l.ip, namespace: l.key }, 'logical port deleted');
    return release.length;
  }

  /**
   * Claims the logical ports of the namespaces about to be plugged (and of
   * ports in place whose logical port is missing), before any namespace is
   * configured: no namespace ever holds an address another host claimed.
   * Returns the ports that may be plugged; the refused ones are failures
   * retried soon (their next pass picks another address).
   */
  async claim(toPlug: readonly DesiredPort[], inPlace: readonly DesiredPort[], desired: DesiredState, failures: FailureBook, now: number): Promise<{ plug: DesiredPort[]; refused: number; writes: number }> {
    const wanted = new Set([...toPlug, ...inPlace].map((d) => d.key));
    const view = nbView(this.side.snapshot(), this.systemId);
    const lp = planLogical(desired.ports.values(), view, this.systemId, (k) => wanted.has(k));
    let writes = 0;
    if (lp.createSwitches.length > 0) {
      await this.side.ensureSwitches(lp.createSwitches);
      writes++;
    }
    for (const k of lp.staleTunnelKeys) {
      const note = `${k.name}/${k.has ?? ''}/${k.want.tenantId}`;
      if (this.warned.has(note)) continue;
      this.warned.add(note);
      this.log.warn({ switch: k.name, tenant: k.want.tenant, requestedTnlKey: k.has, tenantId: k.want.tenantId }, 'logical switch asks for another tunnel key than the tenant id (id changed, or manifests differ between hosts); left as it is');
    }
    if (lp.claim.length === 0) return { plug: [...toPlug], refused: 0, writes };
    const outcomes = await this.side.claim(lp.claim);
    writes++;
    const byKey = new Map(lp.claim.map((l) => [l.key, l]));
    const plug: DesiredPort[] = [];
    let refused = 0;
    const judge = (d: DesiredPort): boolean => {
      const l = byKey.get(d.key);
      const o = l ? outcomes.get(l.name) : undefined;
      if (!o || o.ok) {
        if (o?.ok) this.log.debug({ lsp: l!.name, tenant: d.tenant, ip: d.ip, mac: d.mac }, 'logical port claimed');
        return true;
      }
      refused++;
      this.metrics.ovnClaimRefusals.inc({ why: o.why });
      const prev = failures.get(d.key)?.attempts ?? 0;
      const raced = o.why === 'address-taken' || o.why === 'mac-taken';
      const f = failures.record(d.key, `ovn-${o.why}`, o.message, now, raced ? Math.min(CLAIM_RETRY_MAX_MS, CLAIM_RETRY_MS * (prev + 1)) : undefined);
      this.log.info({ namespace: d.ns.path, tenant: d.tenant, lsp: l!.name, ip: d.ip, mac: d.mac, why: o.why, attempts: f.attempts, retryInMs: f.nextAtMs - now }, 'logical port claim refused');
      return false;
    };
    for (const d of toPlug) if (judge(d)) plug.push(d);
    for (const d of inPlace) judge(d);
    return { plug, refused, writes };
  }

  /** nsvswitch_ovn_logical_ports: this chassis' bound ports, installed by ovn-controller or not yet. */
  gauge(owned: readonly OwnedPort[]): void {
    let installed = 0;
    let pending = 0;
    for (const o of owned) {
      if (o.ifaceId === undefined) continue;
      if (o.ovnInstalled) installed++;
      else pending++;
    }
    this.metrics.ovnLogicalPorts.set({ state: 'installed' }, installed);
    this.metrics.ovnLogicalPorts.set({ state: 'pending' }, pending);
  }
}
