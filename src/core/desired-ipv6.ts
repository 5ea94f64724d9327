// The IPv6 half of desired state for dual-stack tenants (spec.subnet6): each desired port of such a tenant
// gets an IPv6 address beside its IPv4 one, by the same rules (recorded addresses kept, then remembered
// ones, then the static or lowest free one). IPv4-only tenants' ports are returned untouched.
import type { Tenant } from '../manifests/types.js';
import { Tenant6Allocator } from '../ipam/allocator6.js';
import { ipv6InSubnet } from '../net/ipv6.js';
import type { DesiredPort, DesiredState, NamespaceVerdict, OwnedPort, PortIpv6 } from './model.js';

/** What a namespace held in IPv6 (its record, or what the agent last gave it). */
export interface Held6 {
  readonly tenant: string;
  /** Address with prefix, e.g. fd00:10::2/64. */
  readonly cidr6?: string;
}

function split(cidr: string): { ip: string; prefixLen: number } {
  const slash = cidr.lastIndexOf('/');
  return { ip: cidr.slice(0, slash), prefixLen: Number(cidr.slice(slash + 1)) };
}

/** The name a tenant's staticAddresses6 know this port by: its workload's name if listed, else the file name. */
function addressName6(tenant: Tenant, d: DesiredPort): string {
  const statics = tenant.staticAddresses6 ?? {};
  return d.workload && Object.hasOwn(statics, d.workload.name) ? d.workload.name : d.ns.name;
}

/** Whether an IPv6 address the namespace held can stay its address under this tenant. */
function keeps6(held: Held6 | undefined, tenant: Tenant, name: string): string | undefined {
  if (!held?.cidr6 || held.tenant !== tenant.name || tenant.subnet6 === undefined) return undefined;
  const { ip, prefixLen } = split(held.cidr6);
  if (!ipv6InSubnet(ip, tenant.subnet6) || prefixLen !== split(tenant.subnet6).prefixLen || ip === tenant.gateway6) return undefined;
  const statics = tenant.staticAddresses6 ?? {};
  const fixed = Object.hasOwn(statics, name) ? statics[name] : undefined;
  return fixed === undefined || fixed === ip ? ip : undefined;
}

/**
 * Adds the IPv6 address (and gateway6) to every desired port of a dual-stack tenant. Ports are taken in
 * the order computeDesired produced them (first seen first), so the outcome is deterministic. A port kept
 * as recorded while its workload's metadata is unknown (`held`) keeps its recorded IPv6 as it is. A
 * namespace whose tenant has no IPv6 address left for it gets an error verdict and no port, like an
 * exhausted IPv4 subnet.
 */
export function withIpv6(
  desired: DesiredState, tenants: ReadonlyMap<string, Tenant>, owned: readonly OwnedPort[], remembered: ReadonlyMap<string, Held6> = new Map(),
): DesiredState {
  const dual = [...desired.ports.values()].filter((d) => tenants.get(d.tenant)?.subnet6 !== undefined);
  if (dual.length === 0 && ![...desired.ports.values()].some((d) => d.ipv6)) return desired;
  const ownedByKey = new Map<string, OwnedPort>();
  for (const p of owned) if (!ownedByKey.has(p.key)) ownedByKey.set(p.key, p);
  const ports = new Map(desired.ports);
  const verdicts = new Map(desired.verdicts);
  const used = new Map<string, Set<string>>();
  const usedOf = (t: string): Set<string> => {
    let s = used.get(t);
    if (!s) used.set(t, (s = new Set()));
    return s;
  };
  const set = (d: DesiredPort, ipv6: PortIpv6 | undefined): void => {
    const { ipv6: _old, ...rest } = d;
    const port: DesiredPort = ipv6 ? { ...rest, ipv6 } : rest;
    ports.set(d.key, port);
    const v = verdicts.get(d.key);
    verdicts.set(d.key, v?.kind === 'desired' ? { ...v, port } : { kind: 'desired', port });
  };

  // Pass 1: held ports keep their record; recorded, then remembered addresses are reserved.
  const keep = new Map<string, string>();
  for (const d of ports.values()) {
    const v = verdicts.get(d.key);
    const o = ownedByKey.get(d.key);
    if (isHeld(v)) {
      if (o?.cidr6) {
        usedOf(d.tenant).add(split(o.cidr6).ip);
        set(d, { ...split(o.cidr6), ...(o.gateway6 ? { gateway: o.gateway6 } : {}) });
      } else set(d, undefined);
      continue;
    }
    const t = tenants.get(d.tenant);
    if (t?.subnet6 === undefined) {
      if (d.ipv6) set(d, undefined);
      continue;
    }
    const ip = keeps6(o, t, addressName6(t, d));
    if (ip !== undefined && !usedOf(t.name).has(ip)) {
      usedOf(t.name).add(ip);
      keep.set(d.key, ip);
    }
  }
  for (const d of dual) {
    if (keep.has(d.key) || ownedByKey.get(d.key)?.cidr6 !== undefined || isHeld(verdicts.get(d.key))) continue;
    const t = tenants.get(d.tenant)!;
    const ip = keeps6(remembered.get(d.key), t, addressName6(t, d));
    if (ip !== undefined && !usedOf(t.name).has(ip)) {
      usedOf(t.name).add(ip);
      keep.set(d.key, ip);
    }
  }

  // Pass 2: allocate the rest, one allocator per tenant.
  const allocators = new Map<string, Tenant6Allocator>();
  for (const d of dual) {
    if (isHeld(verdicts.get(d.key))) continue;
    const t = tenants.get(d.tenant)!;
    let ip = keep.get(d.key);
    let alloc = allocators.get(t.name);
    if (!alloc) allocators.set(t.name, (alloc = new Tenant6Allocator(t, usedOf(t.name))));
    if (ip === undefined) {
      const a = alloc.allocate(addressName6(t, d));
      if (!a.ok) {
        ports.delete(d.key);
        verdicts.set(d.key, { kind: 'error', tenant: t.name, reason: 'ipam', message: a.error.message });
        continue;
      }
      ip = a.ip;
    }
    // A container its runtime networks itself gets no default route of ours (as for IPv4: d.gateway unset).
    const secondary = d.workload?.runtimeNetworked === true;
    set(d, { ip, prefixLen: alloc.prefixLen, ...(t.gateway6 !== undefined && !secondary ? { gateway: t.gateway6 } : {}) });
  }
  return { ports, verdicts };
}

/**
 * The same desired state with IPv4 only (the OVN backend is IPv4-only for now: its logical ports carry no
 * IPv6). A port of an IPv6-only tenant has nothing left: it is refused (an error verdict naming the reason,
 * no port), never plugged half.
 */
export function withoutIpv6(desired: DesiredState): DesiredState {
  if (![...desired.ports.values()].some((d) => d.ipv6)) return desired;
  const strip = (d: DesiredPort): DesiredPort => {
    const { ipv6: _dropped, ...rest } = d;
    return rest;
  };
  const ports = new Map<string, DesiredPort>();
  const verdicts = new Map(desired.verdicts);
  for (const [k, d] of desired.ports) {
    if (d.ip === undefined) {
      verdicts.set(k, {
        kind: 'error', tenant: d.tenant, reason: 'ipv6-only',
        message: `namespace ${d.ns.path}: tenant "${d.tenant}" is IPv6-only (spec.subnet6 without spec.subnet), and backend ovn is IPv4-only for now: not plugged`,
      });
      continue;
    }
    const port = strip(d);
    ports.set(k, port);
    const v = verdicts.get(k);
    if (v?.kind === 'desired') verdicts.set(k, { ...v, port });
  }
  return { ports, verdicts };
}

function isHeld(v: NamespaceVerdict | undefined): boolean {
  return v?.kind === 'desired' && v.held !== undefined;
}
