import type { DesiredPort, DesiredState, OwnedPort, Plan } from './model.js';
import { isHostIfName } from './names.js';

/** True when the port in place is exactly what is desired (else it is replugged). */
export function portMatches(owned: OwnedPort, d: DesiredPort): boolean {
  return (
    owned.name === d.hostIf &&
    owned.tenant === d.tenant &&
    owned.tenantId === d.tenantId &&
    owned.cidr === (d.ip !== undefined ? `${d.ip}/${d.prefixLen}` : undefined) &&
    owned.mac === d.mac &&
    owned.ifName === d.ifName &&
    owned.mtu === d.mtu &&
    owned.gateway === d.gateway &&
    owned.cidr6 === (d.ipv6 ? `${d.ipv6.ip}/${d.ipv6.prefixLen}` : undefined) &&
    owned.gateway6 === d.ipv6?.gateway &&
    owned.ifaceId === d.ifaceId
  );
}

/**
 * The pure diff: what to plug, remove, clean up and mark ready. `hostLinks`
 * (our veths in the host namespace) is given on full resyncs only; without it
 * the kernel side is assumed to match the database, except for `stale` keys.
 */
export function plan(desired: DesiredState, owned: readonly OwnedPort[], hostLinks?: ReadonlySet<string>, stale: Pick<ReadonlySet<string>, 'has'> = new Set()): Plan {
  const plug: DesiredPort[] = [];
  const remove: OwnedPort[] = [];
  const markInstalled: OwnedPort[] = [];
  const keep: OwnedPort[] = [];
  const seen = new Set<string>();
  const ownedNames = new Set<string>();

  for (const p of owned) {
    ownedNames.add(p.name);
    const d = desired.ports.get(p.key);
    const duplicate = seen.has(p.key);
    seen.add(p.key);
    // `stale`: keys whose namespace was removed since the last pass. The kernel can reuse a
    // namespace inode, so the same key may be back already while its veth died with the old one.
    const linkGone = (hostLinks !== undefined && !hostLinks.has(p.name)) || stale.has(p.key);
    if (!d || duplicate || !portMatches(p, d) || linkGone) {
      remove.push(p);
      continue;
    }
    keep.push(p);
    if (!p.installed) markInstalled.push(p);
  }
  const kept = new Set(keep.map((p) => p.key));
  for (const d of desired.ports.values()) if (!kept.has(d.key)) plug.push(d);

  // A removed port's link goes with its row; a link of our naming with no row at all is an orphan.
  const orphanLinks = hostLinks ? [...hostLinks].filter((n) => isHostIfName(n) && !ownedNames.has(n)) : [];
  return { plug, remove, orphanLinks, markInstalled, keep };
}
