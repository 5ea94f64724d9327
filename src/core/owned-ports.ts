import type { OwnedPort } from './model.js';
import { ExternalIds, OWNER_KEY, OWNER_VALUE } from './ownership.js';
import { perSnapshot } from './per-snapshot.js';

/** The slice of the OVSDB replica the core reads (structurally typed, no I/O). */
export interface PortRecordSource {
  readonly bridges: ReadonlyMap<string, { readonly name: string; readonly ports: readonly string[] }>;
  readonly ports: ReadonlyMap<string, { readonly _uuid: string; readonly name: string; readonly interfaces: readonly string[]; readonly external_ids: Readonly<Record<string, string>> }>;
  readonly interfaces: ReadonlyMap<string, { readonly _uuid: string; readonly name: string; readonly ofport: number | undefined; readonly external_ids: Readonly<Record<string, string>> }>;
}

/**
 * Reads back the ports nsvswitch owns on `bridge` from their external_ids:
 * the database, not a file of ours, is the record of what was done.
 * Rows whose records are unreadable are returned as `broken` so they are removed.
 */
export const ownedPorts: (db: PortRecordSource, bridge: string) => { readonly owned: readonly OwnedPort[]; readonly broken: readonly { portUuid: string; name: string }[] } =
  perSnapshot(readOwnedPorts);

function readOwnedPorts(db: PortRecordSource, bridge: string): { owned: OwnedPort[]; broken: { portUuid: string; name: string }[] } {
  const owned: OwnedPort[] = [];
  const broken: { portUuid: string; name: string }[] = [];
  const br = [...db.bridges.values()].find((b) => b.name === bridge);
  if (!br) return { owned, broken };
  for (const portUuid of br.ports) {
    const port = db.ports.get(portUuid);
    if (!port) continue;
    const iface = port.interfaces.length === 1 ? db.interfaces.get(port.interfaces[0] ?? '') : undefined;
    const r = readRow(portUuid, port, iface);
    if (r === undefined) continue;
    if ('broken' in r) broken.push(r.broken);
    else owned.push(r);
  }
  return { owned, broken };
}

type PortRow = PortRecordSource['ports'] extends ReadonlyMap<string, infer R> ? R : never;
type InterfaceRow = PortRecordSource['interfaces'] extends ReadonlyMap<string, infer R> ? R : never;
type RowReading = OwnedPort | { readonly broken: { portUuid: string; name: string } } | undefined;

/**
 * What one port row (and its interface row) says, by the rows' identity: the replica keeps the identity of rows that
 * did not change from one snapshot to the next, so a pass reads only the rows that did.
 */
const rowReadings = new WeakMap<object, { readonly portUuid: string; readonly iface: object | undefined; readonly reading: RowReading }>();

function readRow(portUuid: string, port: PortRow, iface: InterfaceRow | undefined): RowReading {
  const hit = rowReadings.get(port);
  if (hit && hit.portUuid === portUuid && hit.iface === iface) return hit.reading;
  const reading = readPortRow(portUuid, port, iface);
  rowReadings.set(port, { portUuid, iface, reading });
  return reading;
}

function readPortRow(portUuid: string, port: PortRow, iface: InterfaceRow | undefined): RowReading {
  if (port.external_ids[OWNER_KEY] !== OWNER_VALUE) return undefined;
  // Tenant gateway ports are ours too, but have no namespace: see core/gateway/owned-gateways.ts.
  if (port.external_ids[ExternalIds.role] === 'gateway') return undefined;
  const ids = iface?.external_ids;
  const path = ids?.[ExternalIds.netns];
  const inode = Number(ids?.[ExternalIds.netnsInode]);
  const tenantId = Number(ids?.[ExternalIds.tenantId]);
  const mtu = Number(ids?.[ExternalIds.mtu]);
  // A port of an IPv6-only tenant has no nsvswitch-ip, only nsvswitch-ip6: one of the two is required.
  const cidr = ids?.[ExternalIds.ip] || undefined;
  const cidr6 = ids?.[ExternalIds.ip6] || undefined;
  const mac = ids?.[ExternalIds.mac];
  const tenant = ids?.[ExternalIds.tenant];
  const ifName = ids?.[ExternalIds.ifName];
  if (!iface || !ids || !path || !Number.isInteger(inode) || !Number.isInteger(tenantId) || (!cidr && !cidr6) || !mac || !tenant || !ifName || !Number.isInteger(mtu)) {
    return { broken: { portUuid, name: port.name } };
  }
  return {
    portUuid,
    ifaceUuid: iface._uuid,
    name: port.name,
    key: `${path}#${inode}`,
    nsPath: path,
    nsInode: inode,
    tenant,
    tenantId,
    ...(cidr ? { cidr } : {}),
    mac,
    ifName,
    mtu,
    gateway: ids[ExternalIds.gateway] || undefined,
    ...(cidr6 ? { cidr6 } : {}),
    ...(ids[ExternalIds.gateway6] ? { gateway6: ids[ExternalIds.gateway6] } : {}),
    ofport: iface.ofport !== undefined && iface.ofport > 0 ? iface.ofport : undefined,
    installed: ids[ExternalIds.installed] === 'true',
    ...(ids[ExternalIds.ifaceId] !== undefined ? { ifaceId: ids[ExternalIds.ifaceId] } : {}),
    ...(ids[ExternalIds.ovnInstalled] === 'true' ? { ovnInstalled: true } : {}),
  };
}

/** external_ids written on a port's Interface row: everything needed to adopt it after a restart. */
export function interfaceRecord(d: {
  key: string; ns: { path: string; inode: number }; tenant: string; tenantId: number; ip?: string | undefined; prefixLen?: number | undefined;
  mac: string; ifName: string; mtu: number; gateway: string | undefined;
  ipv6?: { ip: string; prefixLen: number; gateway?: string };
  workload?: { runtime: string; id: string; name: string };
  ifaceId?: string;
}): Record<string, string> {
  const ids: Record<string, string> = {
    [OWNER_KEY]: OWNER_VALUE,
    [ExternalIds.tenant]: d.tenant,
    [ExternalIds.tenantId]: String(d.tenantId),
    [ExternalIds.netns]: d.ns.path,
    [ExternalIds.netnsInode]: String(d.ns.inode),
    // No IPv4 record at all for a port of an IPv6-only tenant (readOwnedPorts then takes nsvswitch-ip6 alone).
    ...(d.ip !== undefined && d.prefixLen !== undefined ? { [ExternalIds.ip]: `${d.ip}/${d.prefixLen}` } : {}),
    [ExternalIds.mac]: d.mac,
    [ExternalIds.attachedMac]: d.mac,
    [ExternalIds.ifName]: d.ifName,
    [ExternalIds.mtu]: String(d.mtu),
  };
  if (d.gateway) ids[ExternalIds.gateway] = d.gateway;
  if (d.ipv6) {
    ids[ExternalIds.ip6] = `${d.ipv6.ip}/${d.ipv6.prefixLen}`;
    if (d.ipv6.gateway) ids[ExternalIds.gateway6] = d.ipv6.gateway;
  }
  // ovn: ovn-controller binds the interface to this logical switch port.
  if (d.ifaceId !== undefined) ids[ExternalIds.ifaceId] = d.ifaceId;
  // For people and tools (ovs-docker's container_id convention, `nsvswitch trace web1 web2`); never read back
  // to decide anything: a renamed container keeps its port, with the name it was plugged under.
  if (d.workload) {
    ids[ExternalIds.runtime] = d.workload.runtime;
    ids[ExternalIds.containerId] = d.workload.id;
    ids[ExternalIds.workload] = d.workload.name;
  }
  return ids;
}

/**
 * What the reconciler reads from OVSDB for `bridge`, flat: its ports, and each owned interface's uuid,
 * name, ofport and records (the external_ids map itself). Interface statistics and the other columns
 * ovs-vswitchd rewrites every few seconds are left out, so only changes that matter to a pass change it.
 * Compare two with sameOwnedState. Built on every replica change: at 1000 ports a list of references,
 * where the text fingerprint it replaces was some 400 kB of new string each time.
 */
export type OwnedState = readonly (string | number | undefined | Readonly<Record<string, string>>)[];

export function ownedState(db: PortRecordSource, bridge: string): OwnedState {
  const br = [...db.bridges.values()].find((b) => b.name === bridge);
  if (!br) return [];
  const out: (string | number | undefined | Readonly<Record<string, string>>)[] = [];
  for (const portUuid of br.ports) {
    const port = db.ports.get(portUuid);
    if (!port) continue;
    out.push(portUuid);
    if (port.external_ids[OWNER_KEY] !== OWNER_VALUE) continue;
    for (const i of port.interfaces) {
      const iface = db.interfaces.get(i);
      if (!iface) continue;
      out.push(i, iface.name, iface.ofport, iface.external_ids);
    }
  }
  return out;
}

/** Whether two ownedState lists are the same state (records compared by content when they are not the same map). */
export function sameOwnedState(a: OwnedState, b: OwnedState): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || idsText(x) !== idsText(y)) return false;
  }
  return true;
}

// external_ids maps keep their identity while a row's other columns (statistics) change.
const idsCache = new WeakMap<object, string>();
function idsText(ids: Readonly<Record<string, string>>): string {
  let t = idsCache.get(ids);
  if (t === undefined) idsCache.set(ids, (t = Object.entries(ids).flat().join('\u0001')));
  return t;
}
