// IP address allocation per tenant: pure functions, no I/O. Allocations themselves live in OVSDB
// (the port's external_ids), so callers pass in the addresses already used.
import type { Tenant } from '../manifests/types.js';
import { cidrsOverlap, formatIpv4, parseCidr, parseIpv4, rangeOf, type Cidr } from './ipv4.js';
import { InvalidCidrError } from './invalid-cidr-error.js';
import { IpamExhaustedError } from './ipam-exhausted-error.js';
import { StaticAddressInUseError } from './static-address-in-use-error.js';

export { InvalidCidrError, IpamExhaustedError, StaticAddressInUseError };
export { parseIpv4, formatIpv4, parseCidr } from './ipv4.js';

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

/** True if the IPv4 address lies inside the CIDR (network and broadcast included); false for malformed input. */
export function ipInSubnet(ip: string, cidr: string): boolean {
  const a = parseIpv4(ip);
  const c = parseCidr(cidr);
  if (a === undefined || !c) return false;
  const [first, last] = rangeOf(c);
  return a >= first && a <= last;
}

/** True if two CIDRs share at least one address. Throws InvalidCidrError. */
export function subnetsOverlap(a: string, b: string): boolean {
  return cidrsOverlap(mustCidr(a), mustCidr(b));
}

/**
 * Picks the address of a new port: the namespace's static address if the tenant gives it one,
 * else the lowest free host address that is not the gateway nor reserved as another namespace's
 * static address. `used` holds the addresses already held by the tenant's other ports (not this
 * namespace's own). Costs O(|used| + |static addresses|), not O(subnet size).
 */
export function allocateAddress(tenant: Tenant, nsName: string, used: ReadonlySet<string>): AllocateResult {
  const fixed = Object.hasOwn(tenant.staticAddresses, nsName) ? tenant.staticAddresses[nsName] : undefined;
  if (fixed !== undefined) {
    return used.has(fixed) ? { ok: false, error: new StaticAddressInUseError(tenant.name, nsName, fixed) } : { ok: true, ip: fixed };
  }
  const info = subnetInfo(tenant.subnet);
  if (info.hostCount === 0) return { ok: false, error: new IpamExhaustedError(tenant.name, tenant.subnet, nsName) };
  const taken = new Set<number>();
  const add = (ip: string | undefined): void => {
    const n = ip === undefined ? undefined : parseIpv4(ip);
    if (n !== undefined) taken.add(n);
  };
  for (const ip of used) add(ip);
  add(tenant.gateway);
  for (const ip of Object.values(tenant.staticAddresses)) add(ip);
  const first = parseIpv4(info.firstHost) ?? 0;
  const last = parseIpv4(info.lastHost) ?? 0;
  for (let n = first; n <= last; n++) {
    if (!taken.has(n)) return { ok: true, ip: formatIpv4(n) };
  }
  return { ok: false, error: new IpamExhaustedError(tenant.name, tenant.subnet, nsName) };
}
