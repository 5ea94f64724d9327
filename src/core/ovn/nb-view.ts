import type { LogicalSwitchPortRow, LogicalSwitchRow, NbSnapshot } from '../../ovsdb/ovn-nb/nb-rows.js';
import type { HeldAddress } from '../desired.js';
import { ExternalIds, OWNER_KEY, OWNER_VALUE } from '../ownership.js';
import { REQUESTED_CHASSIS, REQUESTED_TNL_KEY, lspRecord, type DesiredLsp, type DesiredSwitch } from './logical-records.js';

/** One of this host's logical switch ports, as the northbound database holds it. */
export interface OwnLsp {
  readonly uuid: string;
  readonly name: string;
  /** Namespace key from external_ids. */
  readonly key: string;
  readonly tenant: string;
  readonly ip: string;
  readonly mac: string;
  /** The switch holding it (undefined: none, an orphan row). */
  readonly switchUuid: string | undefined;
  readonly switchName: string | undefined;
  readonly row: LogicalSwitchPortRow;
}

/** What a pass needs from the northbound replica, read once per snapshot. */
export interface NbView {
  /** Logical switches by name (the first one, if a name repeats: OVN does not forbid it). */
  readonly switches: ReadonlyMap<string, LogicalSwitchRow>;
  /** This chassis' own ports (ours: owner marker and chassis), by LSP name. */
  readonly own: ReadonlyMap<string, OwnLsp>;
  /** Addresses held by ports of other chassis (and by anything not ours on our switches), per tenant. */
  readonly elsewhereAddresses: ReadonlyMap<string, ReadonlySet<string>>;
  /** MACs held by any port not this chassis' own, NB-wide. */
  readonly elsewhereMacs: ReadonlySet<string>;
}

const EMPTY_SET: ReadonlySet<string> = new Set();

/** "MAC IP [IP...]" entries of OVN's addresses column; "dynamic", "router", "unknown" carry none. */
export function parseAddresses(entries: readonly string[]): { macs: string[]; ips: string[] } {
  const macs: string[] = [];
  const ips: string[] = [];
  for (const e of entries) {
    const [mac, ...rest] = e.trim().split(/\s+/);
    if (!mac || !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) continue;
    macs.push(mac.toLowerCase());
    for (const ip of rest) if (/^\d+\.\d+\.\d+\.\d+$/.test(ip)) ips.push(ip);
  }
  return { macs, ips };
}

export function isOurs(ids: Readonly<Record<string, string>>): boolean {
  return ids[OWNER_KEY] === OWNER_VALUE;
}

const viewCache = new WeakMap<NbSnapshot, Map<string, NbView>>();

/** Reads the northbound snapshot for one chassis (cached per immutable snapshot). */
export function nbView(snap: NbSnapshot, systemId: string): NbView {
  let per = viewCache.get(snap);
  if (!per) viewCache.set(snap, (per = new Map()));
  let v = per.get(systemId);
  if (!v) per.set(systemId, (v = readView(snap, systemId)));
  return v;
}

function readView(snap: NbSnapshot, systemId: string): NbView {
  const switches = new Map<string, LogicalSwitchRow>();
  const switchOf = new Map<string, LogicalSwitchRow>();
  for (const s of snap.Logical_Switch.values()) {
    if (!switches.has(s.name)) switches.set(s.name, s);
    for (const p of s.ports) switchOf.set(p, s);
  }
  const own = new Map<string, OwnLsp>();
  const elsewhereAddresses = new Map<string, Set<string>>();
  const elsewhereMacs = new Set<string>();
  for (const p of snap.Logical_Switch_Port.values()) {
    const ids = p.external_ids;
    const sw = switchOf.get(p._uuid);
    const ours = isOurs(ids);
    if (ours && ids[ExternalIds.chassis] === systemId) {
      const key = ids[ExternalIds.nsKey];
      const tenant = ids[ExternalIds.tenant];
      const ip = ids[ExternalIds.ip];
      const mac = ids[ExternalIds.mac];
      // A row of ours without its record is still ours to remove (it matches no desired port).
      own.set(p.name, { uuid: p._uuid, name: p.name, key: key ?? '', tenant: tenant ?? '', ip: ip ?? '', mac: (mac ?? '').toLowerCase(), switchUuid: sw?._uuid, switchName: sw?.name, row: p });
      continue;
    }
    // Another chassis' port of ours: its record says where; anything else: the switch it is on says the tenant.
    const tenant = ours ? ids[ExternalIds.tenant] : sw && isOurs(sw.external_ids) ? sw.external_ids[ExternalIds.tenant] : undefined;
    const { macs, ips } = parseAddresses(p.addresses);
    if (ours) {
      const ip = ids[ExternalIds.ip];
      const mac = ids[ExternalIds.mac];
      if (ip) ips.push(ip);
      if (mac) macs.push(mac.toLowerCase());
    }
    for (const m of macs) elsewhereMacs.add(m);
    if (tenant !== undefined) {
      let s = elsewhereAddresses.get(tenant);
      if (!s) elsewhereAddresses.set(tenant, (s = new Set()));
      for (const ip of ips) s.add(ip);
    }
  }
  return { switches, own, elsewhereAddresses, elsewhereMacs };
}

/** Held elsewhere, in the shape computeDesired takes. */
export function heldElsewhere(v: NbView): { addresses(tenant: string): ReadonlySet<string>; readonly macs: ReadonlySet<string> } {
  return { addresses: (t) => v.elsewhereAddresses.get(t) ?? EMPTY_SET, macs: v.elsewhereMacs };
}

/**
 * This chassis' ports as the address records of their namespaces: a namespace
 * whose local port is missing (a crash between the claim and the local record)
 * gets its claimed address and MAC back, and the port in the northbound
 * database then matches with no write. Needs the prefix from the tenant.
 */
export function claimedAddresses(v: NbView, prefixOf: (tenant: string) => number | undefined): Map<string, HeldAddress> {
  const out = new Map<string, HeldAddress>();
  for (const l of v.own.values()) {
    const prefix = prefixOf(l.tenant);
    if (!l.key || !l.ip || prefix === undefined || out.has(l.key)) continue;
    out.set(l.key, { tenant: l.tenant, cidr: `${l.ip}/${prefix}`, ...(l.mac ? { mac: l.mac } : {}) });
  }
  return out;
}

/** True when the port in the northbound database is exactly the one wanted (else it is replaced). */
export function lspMatches(o: OwnLsp, d: DesiredLsp): boolean {
  const r = o.row;
  if (o.switchName !== d.switchName || r.type !== '') return false;
  if (r.addresses.length !== 1 || r.addresses[0] !== d.address || r.port_security.length !== 1 || r.port_security[0] !== d.address) return false;
  if (r.options[REQUESTED_CHASSIS] !== d.chassis) return false;
  const want = lspRecord(d);
  for (const [k, v] of Object.entries(want)) if (r.external_ids[k] !== v) return false;
  return true;
}

/** True when an existing switch asks for the tenant id as its tunnel key. */
export function switchMatches(s: LogicalSwitchRow, d: DesiredSwitch): boolean {
  return s.other_config[REQUESTED_TNL_KEY] === String(d.tenantId);
}
