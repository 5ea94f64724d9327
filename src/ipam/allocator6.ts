// IPv6 address allocation per tenant (spec.subnet6): the same rules as IPv4 (static first, then the
// lowest free address), over 128-bit integers. Pure; the addresses held live in OVSDB like IPv4's.
import type { Tenant } from '../manifests/types.js';
import { formatIpv6, parseCidr6, parseIpv6, range6Of } from '../net/ipv6.js';
import { InvalidCidrError } from './invalid-cidr-error.js';
import { IpamExhaustedError } from './ipam-exhausted-error.js';
import { StaticAddressInUseError } from './static-address-in-use-error.js';
import type { AllocateResult } from './index.js';

/**
 * Allocates a tenant's IPv6 addresses for a whole pass: never the subnet-router anycast address (the
 * prefix itself), the gateway6 or another namespace's static address. Like TenantAllocator, the search
 * resumes where it stopped, so N namespaces cost O(N + |used| + addresses skipped) whatever the prefix
 * size (a /64 is never walked).
 */
export class Tenant6Allocator {
  private readonly held = new Set<bigint>();
  private readonly reserved = new Set<bigint>();
  private readonly last: bigint;
  private cursor: bigint;
  readonly prefixLen: number;

  constructor(
    private readonly tenant: Tenant,
    used: Iterable<string>,
  ) {
    const c = tenant.subnet6 === undefined ? undefined : parseCidr6(tenant.subnet6);
    if (!c) throw new InvalidCidrError(tenant.subnet6 ?? '(none)', 'prefix', 'IPv6');
    const [first, last] = range6Of(c);
    this.prefixLen = c.prefixLen;
    for (const ip of used) {
      const n = parseIpv6(ip);
      if (n !== undefined) this.held.add(n);
    }
    for (const ip of [tenant.gateway6, ...Object.values(tenant.staticAddresses6 ?? {})]) {
      const n = ip === undefined ? undefined : parseIpv6(ip);
      if (n !== undefined) this.reserved.add(n);
    }
    this.cursor = first + 1n;
    this.last = last;
  }

  /** The next IPv6 address for `nsName` (its static one if any); it counts as held from then on. */
  allocate(nsName: string): AllocateResult {
    const { tenant } = this;
    const statics = tenant.staticAddresses6 ?? {};
    const fixed = Object.hasOwn(statics, nsName) ? statics[nsName] : undefined;
    if (fixed !== undefined) {
      const n = parseIpv6(fixed);
      if (n === undefined || this.held.has(n)) return { ok: false, error: new StaticAddressInUseError(tenant.name, nsName, fixed) };
      this.held.add(n);
      return { ok: true, ip: formatIpv6(n) };
    }
    while (this.cursor <= this.last && (this.held.has(this.cursor) || this.reserved.has(this.cursor))) this.cursor++;
    if (this.cursor > this.last) return { ok: false, error: new IpamExhaustedError(tenant.name, tenant.subnet6 ?? '', nsName) };
    const n = this.cursor++;
    this.held.add(n);
    return { ok: true, ip: formatIpv6(n) };
  }
}
