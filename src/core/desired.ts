import type { NamespaceInfo } from '../netns/types.js';
import { byFirstSeen, namespaceKey } from '../netns/types.js';
import type { Tenant } from '../manifests/types.js';
import type { DesiredPort, DesiredState, NamespaceVerdict, OwnedPort } from './model.js';
import { hostIfName, peerTmpName } from './names.js';
import { withIpv6 } from './desired-ipv6.js';
import { assignMacs, type MacClaim, type MacDeriver } from './macs.js';
import type { WorkloadInfo, WorkloadJoin } from '../workloads/types.js';
import type { WorkloadRef } from '../manifests/workload-selector.js';
import { DEFAULT_SECONDARY_INTERFACE } from '../manifests/fields.js';

/** The pieces of manifests/IPAM the pure core needs, injected so it stays I/O-free and testable. */
export interface DesiredDeps {
  match(tenants: ReadonlyMap<string, Tenant>, ns: { name: string; dir: string; path: string; workload?: WorkloadRef }):
    | { kind: 'matched'; tenant: Tenant }
    | { kind: 'unmatched' }
    | { kind: 'conflict'; tenants: readonly string[] };
  /** An allocator for one tenant, given the addresses its remaining ports hold; it remembers what it hands out. */
  allocator(tenant: Tenant, used: ReadonlySet<string>): { allocate(nsName: string): { ok: true; ip: string } | { ok: false; error: Error } };
  inSubnet(ip: string, cidr: string): boolean;
  /** MAC candidates of a namespace key (default macFor); tests inject collisions here. */
  readonly mac?: MacDeriver;
  /** Whose namespace a file is, from the runtimes' metadata (src/workloads); absent = every namespace is a plain one. */
  workloadOf?(ns: NamespaceInfo): WorkloadJoin;
  /**
   * Addresses (per tenant) and MACs that ports on other hosts hold (the ovn backend: read from the northbound
   * database). Never given to a new or remembered port here; recorded ports keep theirs.
   */
  readonly heldElsewhere?: { addresses(tenant: string): ReadonlySet<string>; readonly macs: ReadonlySet<string> };
}

const PLAIN: WorkloadJoin = { kind: 'none' };

/**
 * Whether a namespace may be matched now: a runtime's namespace waits for its metadata and for its
 * container to be running (never race the runtime's own setup); a stopped container's goes.
 * `hold`: a port already in place is kept as it is meanwhile.
 */
function gate(j: WorkloadJoin): { reason: string; hold: boolean; workload?: WorkloadInfo } | undefined {
  if (j.kind === 'none') return undefined;
  if (j.kind === 'unknown') {
    // Listed by a runtime that answers: not a running workload's namespace (yet). Else nothing is known: keep what is there.
    if (j.connected && j.synced) return { reason: `not a running ${j.runtime} ${j.runtime === 'cri' ? 'pod' : 'container'}'s namespace (yet)`, hold: false };
    return { reason: `waiting for ${j.runtime} metadata (${j.connected ? 'not listed yet' : 'runtime not reachable'})`, hold: true };
  }
  const w = j.workload;
  if (w.state === 'running') return undefined;
  const what = w.k8sNamespace !== undefined ? 'pod' : 'container';
  if (w.state === 'starting') return { reason: `${w.runtime} ${what} ${w.name} is not running yet`, hold: true, workload: w };
  return { reason: `${w.runtime} ${what} ${w.name} stopped`, hold: false, workload: w };
}

/** The name a tenant's staticAddresses know this namespace by: its workload's name if listed, else the file name. */
function addressName(tenant: Tenant, ns: NamespaceInfo, w: WorkloadInfo | undefined): string {
  return w && Object.prototype.hasOwnProperty.call(tenant.staticAddresses, w.name) ? w.name : ns.name;
}

/** A port kept exactly as recorded (its workload's metadata is unknown meanwhile), if its tenant still exists as it was. */
function heldPort(o: OwnedPort | undefined, ns: NamespaceInfo, tenants: ReadonlyMap<string, Tenant>): DesiredPort | undefined {
  const t = o ? tenants.get(o.tenant) : undefined;
  if (!o || !t || t.id !== o.tenantId) return undefined;
  // Same families as the tenant, same IPv4 prefix (an IPv6-only tenant's port has no IPv4 record).
  if (o.cidr === undefined ? t.subnet !== undefined : t.subnet === undefined || prefixOf(o.cidr) !== prefixOf(t.subnet)) return undefined;
  return {
    key: o.key, ns, tenant: o.tenant, tenantId: o.tenantId, hostIf: o.name, peerTmp: peerTmpName(o.key), ifName: o.ifName, mac: o.mac,
    ...(o.cidr === undefined ? {} : { ip: addrOf(o.cidr), prefixLen: prefixOf(o.cidr) }), mtu: o.mtu, gateway: o.gateway,
  };
}

function prefixOf(cidr: string): number {
  // As Number(cidr.split('/')[1]), without the array.
  const slash = cidr.indexOf('/');
  if (slash < 0) return NaN;
  const next = cidr.indexOf('/', slash + 1);
  return Number(next < 0 ? cidr.slice(slash + 1) : cidr.slice(slash + 1, next));
}

function addrOf(cidr: string): string {
  const slash = cidr.indexOf('/');
  return slash < 0 ? cidr : cidr.slice(0, slash);
}

/** An address a namespace held: its recorded port, or (when the record is gone) what the agent last gave it. */
export interface HeldAddress {
  readonly tenant: string;
  /** IPv4 address with prefix, e.g. 10.10.0.2/24 (absent: a port of an IPv6-only tenant). */
  readonly cidr?: string | undefined;
  /** Its MAC, kept like the address (neighbours' ARP caches hold it). */
  readonly mac?: string;
  /** Dual-stack tenants: its IPv6 address with prefix (desired-ipv6.ts). */
  readonly cidr6?: string;
}

/** Whether an address the namespace held can be kept for it under this tenant. */
function keepsAddress(owned: HeldAddress, tenant: Tenant, name: string, deps: DesiredDeps): boolean {
  if (owned.tenant !== tenant.name || owned.cidr === undefined || tenant.subnet === undefined) return false;
  const ip = addrOf(owned.cidr);
  if (!deps.inSubnet(ip, tenant.subnet) || prefixOf(owned.cidr) !== prefixOf(tenant.subnet)) return false;
  if (ip === tenant.gateway) return false;
  const fixed = Object.prototype.hasOwnProperty.call(tenant.staticAddresses, name) ? tenant.staticAddresses[name] : undefined;
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

  const sorted = [...namespaces].sort(byFirstSeen);
  const matches = new Map<string, { ns: NamespaceInfo; tenant: Tenant; keep: string | undefined; workload: WorkloadInfo | undefined; addrName: string }>();
  const heldPorts = new Map<string, DesiredPort>();
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
    const join = deps.workloadOf?.(ns) ?? PLAIN;
    const g = gate(join);
    if (g) {
      const keepPort = g.hold ? heldPort(ownedByKey.get(key), ns, tenants) : undefined;
      if (keepPort) {
        if (keepPort.ip !== undefined) usedOf(keepPort.tenant).add(keepPort.ip);
        heldPorts.set(key, keepPort);
        verdicts.set(key, { kind: 'desired', port: keepPort, held: g.reason });
      } else verdicts.set(key, { kind: 'waiting', reason: g.reason, ...(g.workload ? { workload: g.workload } : {}) });
      continue;
    }
    const workload = join.kind === 'known' ? join.workload : undefined;
    const m = deps.match(tenants, workload ? { name: ns.name, dir: ns.dir, path: ns.path, workload } : ns);
    if (m.kind === 'unmatched') {
      verdicts.set(key, { kind: 'unmatched' });
      continue;
    }
    if (m.kind === 'conflict') {
      verdicts.set(key, { kind: 'conflict', tenants: m.tenants });
      continue;
    }
    const existing = ownedByKey.get(key);
    const addrName = addressName(m.tenant, ns, workload);
    const keep = existing?.cidr !== undefined && keepsAddress(existing, m.tenant, addrName, deps) ? addrOf(existing.cidr) : undefined;
    if (keep !== undefined) {
      const s = usedOf(m.tenant.name);
      if (s.has(keep)) {
        matches.set(key, { ns, tenant: m.tenant, keep: undefined, workload, addrName });
        continue;
      }
      s.add(keep);
    }
    matches.set(key, { ns, tenant: m.tenant, keep, workload, addrName });
  }
  // Pass 1b: namespaces whose record is gone keep what the agent last gave them, if still free and valid.
  if (remembered.size > 0) {
    for (const [key, m] of matches) {
      if (m.keep !== undefined || ownedByKey.has(key)) continue;
      const held = remembered.get(key);
      if (held?.cidr === undefined || !keepsAddress(held, m.tenant, m.addrName, deps)) continue;
      const ip = addrOf(held.cidr);
      const s = usedOf(m.tenant.name);
      if (s.has(ip) || deps.heldElsewhere?.addresses(m.tenant.name).has(ip)) continue;
      s.add(ip);
      matches.set(key, { ...m, keep: ip });
    }
  }

  // Pass 2: allocate for the rest, one allocator per tenant for the whole pass.
  const addressed: { key: string; ns: NamespaceInfo; tenant: Tenant; ip: string | undefined; workload: WorkloadInfo | undefined }[] = [];
  const allocators = new Map<string, ReturnType<DesiredDeps['allocator']>>();
  for (const [key, { ns, tenant, keep, workload, addrName }] of matches) {
    let ip = keep;
    // An IPv6-only tenant (no spec.subnet): no IPv4 address; withIpv6 gives the port its IPv6 one.
    if (ip === undefined && tenant.subnet !== undefined) {
      let alloc = allocators.get(tenant.name);
      if (!alloc) allocators.set(tenant.name, (alloc = deps.allocator(tenant, withElsewhere(usedOf(tenant.name), deps.heldElsewhere?.addresses(tenant.name)))));
      const a = alloc.allocate(addrName);
      if (!a.ok) {
        verdicts.set(key, { kind: 'error', tenant: tenant.name, reason: 'ipam', message: a.error.message });
        continue;
      }
      ip = a.ip;
    }
    addressed.push({ key, ns, tenant, ip, workload });
  }

  // Pass 3: MACs, unique on the bridge: every owned port's MAC is in use, recorded ones stay with their namespace.
  const claims = new Map<string, MacClaim>();
  for (const { key } of addressed) claims.set(key, { recorded: ownedByKey.get(key)?.mac, remembered: remembered.get(key)?.mac });
  const inUse = owned.map((o) => o.mac);
  if (deps.heldElsewhere) inUse.push(...deps.heldElsewhere.macs);
  const macs = assignMacs(claims, inUse, deps.mac);

  const ports = new Map<string, DesiredPort>(heldPorts);
  for (const { key, ns, tenant, ip, workload } of addressed) {
    const mac = macs.assigned.get(key);
    if (!mac) {
      verdicts.set(key, { kind: 'error', tenant: tenant.name, reason: 'mac', message: `namespace ${ns.path}: every candidate MAC is in use on the bridge` });
      continue;
    }
    // A container its runtime networks itself keeps its own eth0 and default route: ours is a second interface.
    const secondary = workload?.runtimeNetworked === true;
    const port: DesiredPort = {
      key,
      ns,
      tenant: tenant.name,
      tenantId: tenant.id,
      hostIf: hostIfName(key),
      peerTmp: peerTmpName(key),
      ifName: secondary ? tenant.interface.secondaryName ?? DEFAULT_SECONDARY_INTERFACE : tenant.interface.name,
      mac: mac.mac,
      ...(mac.source === 'derived' && mac.attempt > 0 ? { macCandidate: mac.attempt } : {}),
      ...(ip === undefined || tenant.subnet === undefined ? {} : { ip, prefixLen: prefixOf(tenant.subnet) }),
      mtu: tenant.interface.mtu,
      gateway: secondary ? undefined : tenant.gateway,
      ...(workload ? { workload } : {}),
    };
    ports.set(key, port);
    verdicts.set(key, { kind: 'desired', port });
  }
  // Dual-stack tenants: the IPv6 address beside the IPv4 one, by the same rules (desired-ipv6.ts).
  return withIpv6({ ports, verdicts }, tenants, owned, remembered);
}

/** A tenant's used addresses plus those held on other hosts (a copy only when there are any). */
function withElsewhere(used: ReadonlySet<string>, elsewhere: ReadonlySet<string> | undefined): ReadonlySet<string> {
  if (!elsewhere || elsewhere.size === 0) return used;
  return new Set([...used, ...elsewhere]);
}
