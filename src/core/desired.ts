import type { NamespaceInfo } from '../netns/types.js';
import { namespaceKey } from '../netns/types.js';
import type { Tenant } from '../manifests/types.js';
import type { DesiredPort, DesiredState, NamespaceVerdict, OwnedPort } from './model.js';
import { hostIfName, peerTmpName } from './names.js';
import { assignMacs, type MacClaim, type MacDeriver } from './macs.js';

/** The pieces of manifests/IPAM the pure core needs, injected so it stays I/O-free and testable. */
export interface DesiredDeps {
  match(tenants: ReadonlyMap<string, Tenant>, ns: { name: string; dir: string; path: string }):
    | { kind: 'matched'; tenant: Tenant }
    | { kind: 'unmatched' }
    | { kind: 'conflict'; tenants: readonly string[] };
  /** An allocator for one tenant, given the addresses its remaining ports hold; it remembers what it hands out. */
  allocator(tenant: Tenant, used: ReadonlySet<string>): { allocate(nsName: string): { ok: true; ip: string } | { ok: false; error: Error } };
  inSubnet(ip: string, cidr: string): boolean;
  /** MAC candidates of a namespace key (default macFor); tests inject collisions here. */
  readonly mac?: MacDeriver;
}

function prefixOf(cidr: string): number {
  return Number(cidr.split('/')[1]);
}

function addrOf(cidr: string): string {
  return cidr.split('/')[0] ?? cidr;
}

/** An address a namespace held: its recorded port, or (when the record is gone) what the agent last gave it. */
export interface HeldAddress {
  readonly tenant: string;
  /** Address with prefix, e.g. 10.10.0.2/24. */
  readonly cidr: string;
  /** Its MAC, kept like the address (neighbours' ARP caches hold it). */
  readonly mac?: string;
}

/** Whether an address the namespace held can be kept for it under this tenant. */
function keepsAddress(owned: HeldAddress, tenant: Tenant, ns: NamespaceInfo, deps: DesiredDeps): boolean {
  if (owned.tenant !== tenant.name) return false;
  const ip = addrOf(owned.cidr);
  if (!deps.inSubnet(ip, tenant.subnet) || prefixOf(owned.cidr) !== prefixOf(tenant.subnet)) return false;
  if (ip === tenant.gateway) return false;
  const fixed = tenant.staticAddresses[ns.name];
  return fixed === undefined || fixed === ip;
}

/**
 * desired = f(tenants, namespaces, allocations). Addresses already recorded on
 * owned ports are kept, so a restart changes nothing; new namespaces get the
 * lowest free address, in first-seen order so the outcome is deterministic.
 * `remembered` (the previous pass's addresses) keeps a namespace's address
 * when its record vanished under a running agent (a bridge deleted by hand,
 * an OVS database reset): recorded addresses are reserved first, then
 * remembered ones, then the rest is allocated. MACs go the same way and are
 * unique on the bridge by construction (assignMacs): a namespace whose
 * derived MAC another port has gets the next candidate.
 */
export function computeDesired(
  tenants: ReadonlyMap<string, Tenant>,
  namespaces: Iterable<NamespaceInfo>,
  owned: readonly OwnedPort[],
  deps: DesiredDeps,
  remembered: ReadonlyMap<string, HeldAddress> = new Map(),
): DesiredState {
  const ownedByKey = new Map<string, OwnedPort>();
  for (const p of owned) if (!ownedByKey.has(p.key)) ownedByKey.set(p.key, p);

  const sorted = [...namespaces].sort((a, b) => a.firstSeenMs - b.firstSeenMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : a.inode - b.inode));
  const matches = new Map<string, { ns: NamespaceInfo; tenant: Tenant; keep: string | undefined }>();
  const verdicts = new Map<string, NamespaceVerdict>();
  const used = new Map<string, Set<string>>();
  const usedOf = (t: string): Set<string> => {
    let s = used.get(t);
    if (!s) used.set(t, (s = new Set()));
    return s;
  };

  // Pass 1: match, and reserve every address that stays, before allocating any.
  for (const ns of sorted) {
    const key = namespaceKey(ns);
    const m = deps.match(tenants, ns);
    if (m.kind === 'unmatched') {
      verdicts.set(key, { kind: 'unmatched' });
      continue;
    }
    if (m.kind === 'conflict') {
      verdicts.set(key, { kind: 'conflict', tenants: m.tenants });
      continue;
    }
    const existing = ownedByKey.get(key);
    const keep = existing && keepsAddress(existing, m.tenant, ns, deps) ? addrOf(existing.cidr) : undefined;
    if (keep !== undefined) {
      const s = usedOf(m.tenant.name);
      if (s.has(keep)) {
        matches.set(key, { ns, tenant: m.tenant, keep: undefined });
        continue;
      }
      s.add(keep);
    }
    matches.set(key, { ns, tenant: m.tenant, keep });
  }
  // Pass 1b: namespaces whose record is gone keep what the agent last gave them, if still free and valid.
  if (remembered.size > 0) {
    for (const [key, m] of matches) {
      if (m.keep !== undefined || ownedByKey.has(key)) continue;
      const held = remembered.get(key);
      if (!held || !keepsAddress(held, m.tenant, m.ns, deps)) continue;
      const ip = addrOf(held.cidr);
      const s = usedOf(m.tenant.name);
      if (s.has(ip)) continue;
      s.add(ip);
      matches.set(key, { ...m, keep: ip });
    }
  }

  // Pass 2: allocate for the rest, one allocator per tenant for the whole pass.
  const addressed: { key: string; ns: NamespaceInfo; tenant: Tenant; ip: string }[] = [];
  const allocators = new Map<string, ReturnType<DesiredDeps['allocator']>>();
  for (const [key, { ns, tenant, keep }] of matches) {
    let ip = keep;
    if (ip === undefined) {
      let alloc = allocators.get(tenant.name);
      if (!alloc) allocators.set(tenant.name, (alloc = deps.allocator(tenant, usedOf(tenant.name))));
      const a = alloc.allocate(ns.name);
      if (!a.ok) {
        verdicts.set(key, { kind: 'error', tenant: tenant.name, reason: 'ipam', message: a.error.message });
        continue;
      }
      ip = a.ip;
    }
    addressed.push({ key, ns, tenant, ip });
  }

  // Pass 3: MACs, unique on the bridge: every owned port's MAC is in use, recorded ones stay with their namespace.
  const claims = new Map<string, MacClaim>();
  for (const { key } of addressed) claims.set(key, { recorded: ownedByKey.get(key)?.mac, remembered: remembered.get(key)?.mac });
  const macs = assignMacs(claims, owned.map((o) => o.mac), deps.mac);

  const ports = new Map<string, DesiredPort>();
  for (const { key, ns, tenant, ip } of addressed) {
    const mac = macs.assigned.get(key);
    if (!mac) {
      verdicts.set(key, { kind: 'error', tenant: tenant.name, reason: 'mac', message: `namespace ${ns.path}: every candidate MAC is in use on the bridge` });
      continue;
    }
    const port: DesiredPort = {
      key,
      ns,
      tenant: tenant.name,
      tenantId: tenant.id,
      hostIf: hostIfName(key),
      peerTmp: peerTmpName(key),
      ifName: tenant.interface.name,
      mac: mac.mac,
      ...(mac.source === 'derived' && mac.attempt > 0 ? { macCandidate: mac.attempt } : {}),
      ip,
      prefixLen: prefixOf(tenant.subnet),
      mtu: tenant.interface.mtu,
      gateway: tenant.gateway,
    };
    ports.set(key, port);
    verdicts.set(key, { kind: 'desired', port });
  }
  return { ports, verdicts };
}
