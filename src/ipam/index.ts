// IP address allocation per tenant: pure functions, no I/O. Allocations themselves live in OVSDB
// (the port's external_ids), so callers pass in the addresses already used.
import type { Tenant } from '../manifests/types.js';
import { cidrsOverlap, formatIpv4, parseCidr, parseIpv4, rangeOf, type Cidr } from '../net/ipv4.js';
import { InvalidCidrError } from './invalid-cidr-error.js';
import { IpamExhaustedError } from './ipam-exhausted-error.js';
import { StaticAddressInUseError } from './static-address-in-use-error.js';

export { InvalidCidrError, IpamExhaustedError, StaticAddressInUseError };
export { Tenant6Allocator } from './allocator6.js';
export { parseIpv4, formatIpv4, parseCidr, ipInSubnet } from '../net/ipv4.js';

export type IpamError = IpamExhaustedError | StaticAddressInUseError;
export type AllocateResult = { ok: true; ip: string } | { ok: false; error: IpamError };

export interface SubnetInfo {
  /** Network address (host bits zero). */
  readonly network: string;
  readonly broadcast: string;
  readonly prefixLen: number;
  /** Number of addresses in the subnet, network and broadcast included. */
  readonly size: number;
  /** Host addresses (size minus network and broadcast; 0 for /31 and /32). */
  readonly hostCount: number;
  /** Lowest host address (network + 1); for /31 and /32, the network address. */
  readonly firstHost: string;
  /** Highest host address (broadcast - 1); for /31 and /32, the broadcast address. */
  readonly lastHost: string;
}

function mustCidr(cidr: string): Cidr {
  const c = parseCidr(cidr);
  if (!c) throw new InvalidCidrError(cidr, 'CIDR');
  return c;
}

/** Network, broadcast and host range of a CIDR, for validation and for allocation. Throws InvalidCidrError. */
export function subnetInfo(cidr: string): SubnetInfo {
  const c = mustCidr(cidr);
  const [first, last] = rangeOf(c);
  const size = last - first + 1;
  const tiny = c.prefixLen >= 31;
  return {
    network: formatIpv4(first),
    broadcast: formatIpv4(last),
    prefixLen: c.prefixLen,
    size,
    hostCount: tiny ? 0 : size - 2,
    firstHost: formatIpv4(tiny ? first : first + 1),
    lastHost: formatIpv4(tiny ? last : last - 1),
  };
}

/** True if two CIDRs share at least one address. Throws InvalidCidrError. */
export function subnetsOverlap(a: string, b: string): boolean {
  return cidrsOverlap(mustCidr(a), mustCidr(b));
}

/**
 * Picks the address of a new port: the namespace's static address if the tenant gives it one,
 * else the lowest free host address that is not the gateway nor reserved as another namespace's
 * static address. `used` holds the addresses already held by the tenant's other ports (not this
 * namespace's own). For many namespaces at once, use one TenantAllocator instead.
 */
export function allocateAddress(tenant: Tenant, nsName: string, used: ReadonlySet<string>): AllocateResult {
  return new TenantAllocator(tenant, used).allocate(nsName);
}

/**
 * Allocates addresses of one tenant for a whole burst: the taken set is built
 * once and the search resumes where it stopped, so N namespaces cost
 * O(N + |used| + addresses skipped), not O(N × |used|).
 */
export class TenantAllocator {
  private readonly held = new Set<number>();
  private readonly reserved = new Set<number>();
  private readonly first: number;
  private readonly last: number;
  private cursor: number;

  constructor(
    private readonly tenant: Tenant,
    used: Iterable<string>,
  ) {
    // An IPv6-only tenant has no IPv4 subnet: nothing to hand out (computeDesired never asks for it).
    const info = tenant.subnet === undefined ? { hostCount: 0, firstHost: '', lastHost: '' } : subnetInfo(tenant.subnet);
    for (const ip of used) {
      const n = parseIpv4(ip);
      if (n !== undefined) this.held.add(n);
    }
    for (const ip of [tenant.gateway, ...Object.values(tenant.staticAddresses)]) {
      const n = ip === undefined ? undefined : parseIpv4(ip);
      if (n !== undefined) this.reserved.add(n);
    }
    this.first = info.hostCount === 0 ? 1 : (parseIpv4(info.firstHost) ?? 0);
    this.last = info.hostCount === 0 ? 0 : (parseIpv4(info.lastHost) ?? 0);
    this.cursor = this.first;
  }

  /** The next address for `nsName` (its static one if any); the address counts as held from then on. */
  allocate(nsName: string): AllocateResult {
    const { tenant } = this;
    const fixed = Object.hasOwn(tenant.staticAddresses, nsName) ? tenant.staticAddresses[nsName] : undefined;
    if (fixed !== undefined) {
      const n = parseIpv4(fixed);
      if (n === undefined || this.held.has(n)) return { ok: false, error: new StaticAddressInUseError(tenant.name, nsName, fixed) };
      this.held.add(n);
      return { ok: true, ip: fixed };
    }
    while (this.cursor <= this.last && (this.held.has(this.cursor) || this.reserved.has(this.cursor))) this.cursor++;
    if (this.cursor > this.last) return { ok: false, error: new IpamExhaustedError(tenant.name, tenant.subnet ?? 'none (IPv6-only tenant)', nsName) };
    const n = this.cursor++;
    this.held.add(n);
    return { ok: true, ip: formatIpv4(n) };
  }
}
