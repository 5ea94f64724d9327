import { formatIpv4, networkOf, parseCidr } from '../../net/ipv4.js';
import { ExternalIds, OWNER_KEY, OWNER_VALUE } from '../ownership.js';
import type { PortRecordSource } from '../owned-ports.js';
import { perSnapshot } from '../per-snapshot.js';
import type { DesiredGateway } from './desired-gateways.js';

/** Port/Interface external_ids value of nsvswitch-role on a tenant gateway port. */
export const GATEWAY_ROLE = 'gateway';

/** A tenant gateway port nsvswitch owns, as recorded in OVSDB. */
export interface OwnedGateway {
  readonly portUuid: string;
  readonly ifaceUuid: string;
  readonly name: string;
  readonly tenant: string;
  readonly tenantId: number;
  /** Gateway address with prefix, e.g. 10.10.0.1/24. */
  readonly cidr: string;
  readonly mac: string;
  readonly ofport: number | undefined;
}

/** True for Port rows that are tenant gateways (ownedPorts leaves them out; they have no namespace). */
export function isGatewayPortRow(ids: Readonly<Record<string, string>>): boolean {
  return ids[OWNER_KEY] === OWNER_VALUE && ids[ExternalIds.role] === GATEWAY_ROLE;
}

/**
 * Reads back the gateway ports nsvswitch owns on `bridge`. A gateway row
 * whose record cannot be read is returned with tenantId NaN so the plan
 * removes it.
 */
export const ownedGateways: (db: PortRecordSource, bridge: string) => readonly OwnedGateway[] = perSnapshot(readOwnedGateways);

function readOwnedGateways(db: PortRecordSource, bridge: string): OwnedGateway[] {
  const out: OwnedGateway[] = [];
  const br = [...db.bridges.values()].find((b) => b.name === bridge);
  if (!br) return out;
  for (const portUuid of br.ports) {
    const port = db.ports.get(portUuid);
    if (!port || !isGatewayPortRow(port.external_ids)) continue;
    const iface = port.interfaces.length === 1 ? db.interfaces.get(port.interfaces[0] ?? '') : undefined;
    const ids = iface?.external_ids ?? {};
    out.push({
      portUuid,
      ifaceUuid: iface?._uuid ?? '',
      name: port.name,
      tenant: ids[ExternalIds.tenant] ?? '',
      tenantId: Number(ids[ExternalIds.tenantId] ?? NaN),
      cidr: ids[ExternalIds.ip] ?? '',
      mac: ids[ExternalIds.mac] ?? '',
      ofport: iface?.ofport !== undefined && iface.ofport > 0 ? iface.ofport : undefined,
    });
  }
  return out;
}

/** external_ids of a gateway's Port and Interface rows (no namespace: it is the host's side of the tenant). */
export function gatewayRecord(g: DesiredGateway): { port: Record<string, string>; iface: Record<string, string> } {
  const common = { [ExternalIds.role]: GATEWAY_ROLE, [ExternalIds.tenant]: g.tenant, [ExternalIds.tenantId]: String(g.tenantId) };
  return {
    port: { [OWNER_KEY]: OWNER_VALUE, ...common },
    iface: { ...common, [ExternalIds.ip]: `${g.ip}/${g.prefixLen}`, [ExternalIds.mac]: g.mac, [ExternalIds.attachedMac]: g.mac },
  };
}

/** The gateway port in place is exactly the desired one (else it is removed and added again). */
export function gatewayMatches(o: OwnedGateway, d: DesiredGateway): boolean {
  return o.name === d.name && o.tenant === d.tenant && o.tenantId === d.tenantId && o.cidr === `${d.ip}/${d.prefixLen}` && o.mac === d.mac;
}

/** Gateways to add, remove (gone, changed, duplicates) and keep. Pure. */
export function planGateways(desired: readonly DesiredGateway[], owned: readonly OwnedGateway[]): { add: DesiredGateway[]; remove: OwnedGateway[]; keep: OwnedGateway[] } {
  const want = new Map(desired.map((d) => [d.tenant, d]));
  const keep: OwnedGateway[] = [];
  const remove: OwnedGateway[] = [];
  const kept = new Set<string>();
  for (const o of owned) {
    const d = want.get(o.tenant);
    if (d && !kept.has(d.tenant) && gatewayMatches(o, d)) {
      keep.push(o);
      kept.add(d.tenant);
    } else remove.push(o);
  }
  return { add: desired.filter((d) => !kept.has(d.tenant)), remove, keep };
}

/** An address with prefix → its subnet: 10.10.0.1/24 → 10.10.0.0/24 (undefined when malformed). */
export function subnetOfAddress(cidr: string): string | undefined {
  const c = parseCidr(cidr);
  return c ? `${formatIpv4(networkOf(c))}/${c.prefixLen}` : undefined;
}
