import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocateAddress, InvalidCidrError, IpamExhaustedError, ipInSubnet, StaticAddressInUseError, subnetInfo, subnetsOverlap, TenantAllocator } from '../../../src/ipam/index.js';
import type { Tenant } from '../../../src/manifests/index.js';

function tenant(over: Partial<Tenant> = {}): Tenant {
  return {
    name: 'blue', id: 100, subnet: '10.10.0.0/24', gateway: '10.10.0.1', namespaces: ['blue-*'],
    interface: { name: 'eth0', mtu: 1500 }, staticAddresses: {}, source: { file: 'blue.yaml', line: 1 }, ...over,
  };
}

describe('subnetInfo', () => {
  it('describes a /24', () => {
    expect(subnetInfo('10.10.0.0/24')).toEqual({ network: '10.10.0.0', broadcast: '10.10.0.255', prefixLen: 24, size: 256, hostCount: 254, firstHost: '10.10.0.1', lastHost: '10.10.0.254' });
  });

  it('clears host bits, and handles /0, /30, /31, /32', () => {
    expect(subnetInfo('10.10.3.7/22')).toMatchObject({ network: '10.10.0.0', broadcast: '10.10.3.255', size: 1024 });
    expect(subnetInfo('0.0.0.0/0')).toMatchObject({ network: '0.0.0.0', broadcast: '255.255.255.255', size: 2 ** 32, hostCount: 2 ** 32 - 2 });
    expect(subnetInfo('192.168.1.4/30')).toMatchObject({ hostCount: 2, firstHost: '192.168.1.5', lastHost: '192.168.1.6' });
    expect(subnetInfo('192.168.1.4/31')).toMatchObject({ size: 2, hostCount: 0 });
    expect(subnetInfo('192.168.1.4/32')).toMatchObject({ network: '192.168.1.4', broadcast: '192.168.1.4', size: 1, hostCount: 0 });
  });

  it('throws InvalidCidrError on malformed input', () => {
    for (const bad of ['10.10.0.0', '10.10.0.0/33', '10.10.0/24', '10.10.0.256/24', '010.10.0.0/24', 'x/8', '10.10.0.0/ 24']) {
      expect(() => subnetInfo(bad)).toThrow(InvalidCidrError);
    }
    expect(() => subnetInfo('10.0.0.0/33')).toThrow('Invalid IPv4 CIDR: "10.0.0.0/33"');
  });
});

describe('ipInSubnet and subnetsOverlap', () => {
  it('includes network and broadcast, excludes neighbours', () => {
    expect(ipInSubnet('10.10.0.0', '10.10.0.0/24')).toBe(true);
    expect(ipInSubnet('10.10.0.255', '10.10.0.0/24')).toBe(true);
    expect(ipInSubnet('10.10.1.0', '10.10.0.0/24')).toBe(false);
    expect(ipInSubnet('10.9.255.255', '10.10.0.0/24')).toBe(false);
    expect(ipInSubnet('garbage', '10.10.0.0/24')).toBe(false);
  });

  it('detects containment and adjacency correctly', () => {
    expect(subnetsOverlap('10.0.0.0/8', '10.10.0.0/24')).toBe(true);
    expect(subnetsOverlap('10.10.0.0/25', '10.10.0.128/25')).toBe(false);
    expect(subnetsOverlap('10.10.0.0/24', '10.10.0.0/24')).toBe(true);
  });

  it('agrees with a brute-force membership test (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (base, len, probe) => {
        const size = 2 ** (32 - len);
        const net = Math.floor(base / size) * size;
        const fmt = (n: number): string => [Math.floor(n / 2 ** 24), Math.floor(n / 2 ** 16) % 256, Math.floor(n / 256) % 256, n % 256].join('.');
        expect(ipInSubnet(fmt(probe), `${fmt(net)}/${len}`)).toBe(probe >= net && probe < net + size);
      }),
    );
  });
});

describe('allocateAddress', () => {
  it('gives the lowest free host address, skipping the gateway', () => {
    expect(allocateAddress(tenant(), 'blue-1', new Set())).toEqual({ ok: true, ip: '10.10.0.2' });
    expect(allocateAddress(tenant({ gateway: '10.10.0.2' }), 'blue-1', new Set())).toEqual({ ok: true, ip: '10.10.0.1' });
    expect(allocateAddress(tenant(), 'blue-1', new Set(['10.10.0.2', '10.10.0.3', '10.10.0.5']))).toEqual({ ok: true, ip: '10.10.0.4' });
  });

  it('starts at the first host without a gateway, and never gives network or broadcast', () => {
    const t = tenant({ subnet: '10.10.0.0/30' });
    delete (t as { gateway?: string }).gateway;
    expect(allocateAddress(t, 'a', new Set())).toEqual({ ok: true, ip: '10.10.0.1' });
    expect(allocateAddress(t, 'b', new Set(['10.10.0.1']))).toEqual({ ok: true, ip: '10.10.0.2' });
    const r = allocateAddress(t, 'c', new Set(['10.10.0.1', '10.10.0.2']));
    expect(r.ok).toBe(false);
  });

  it('gives a namespace its static address, and keeps static addresses of others out of the pool', () => {
    const t = tenant({ staticAddresses: { 'blue-db': '10.10.0.2', 'blue-web': '10.10.0.3' } });
    expect(allocateAddress(t, 'blue-db', new Set())).toEqual({ ok: true, ip: '10.10.0.2' });
    expect(allocateAddress(t, 'blue-1', new Set())).toEqual({ ok: true, ip: '10.10.0.4' });
  });

  it('fails with StaticAddressInUseError when the static address is held by another port', () => {
    const t = tenant({ staticAddresses: { 'blue-db': '10.10.0.7' } });
    const r = allocateAddress(t, 'blue-db', new Set(['10.10.0.7']));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(StaticAddressInUseError);
    expect(r.error.message).toBe('Static address 10.10.0.7 of namespace "blue-db" (tenant "blue") is already in use by another port');
  });

  it('reports exhaustion with tenant, subnet and namespace', () => {
    const t = tenant({ subnet: '10.10.0.0/29', staticAddresses: { 'blue-db': '10.10.0.6' } });
    const used = new Set(['10.10.0.2', '10.10.0.3', '10.10.0.4', '10.10.0.5']);
    const r = allocateAddress(t, 'blue-9', used);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(IpamExhaustedError);
    expect(r.error).toMatchObject({ tenant: 'blue', subnet: '10.10.0.0/29', namespace: 'blue-9' });
    expect(r.error.message).toBe('No free address in subnet 10.10.0.0/29 of tenant "blue" for namespace "blue-9"');
  });

  it('hands out distinct, valid addresses until the subnet is full (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 24, max: 30 }), fc.boolean(), fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { maxLength: 4 }), (len, gw, statics) => {
        const info = subnetInfo(`10.10.0.0/${len}`);
        const hosts = info.hostCount;
        const staticAddresses = Object.fromEntries(statics.filter((s) => s < hosts && s !== 1).map((s) => [`blue-s${s}`, `10.10.0.${s + 1}`]).filter(([, ip]) => !(gw && ip === '10.10.0.1')));
        const t = tenant({ subnet: `10.10.0.0/${len}`, staticAddresses, ...(gw ? {} : { gateway: undefined }) });
        const used = new Set<string>();
        const reserved = new Set([...(t.gateway ? [t.gateway] : []), ...Object.values(staticAddresses)]);
        for (let i = 0; i < hosts + 1; i++) {
          const r = allocateAddress(t, `blue-${i}`, used);
          if (!r.ok) {
            expect(r.error).toBeInstanceOf(IpamExhaustedError);
            expect(used.size).toBe(hosts - reserved.size);
            return;
          }
          expect(used.has(r.ip) || reserved.has(r.ip) || r.ip === info.network || r.ip === info.broadcast).toBe(false);
          expect(ipInSubnet(r.ip, t.subnet!)).toBe(true);
          used.add(r.ip);
        }
        throw new Error('never exhausted');
      }),
      { numRuns: 200 },
    );
  });
});

describe('TenantAllocator (a whole burst at once)', () => {
  it('hands out exactly what repeated allocateAddress calls would, each address once', () => {
    const t = tenant({ subnet: '10.10.0.0/28', staticAddresses: { 'blue-db': '10.10.0.5' } });
    const names = ['a', 'blue-db', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm'];
    const alloc = new TenantAllocator(t, ['10.10.0.3']);
    const held = new Set(['10.10.0.3']);
    for (const n of names) {
      const one = allocateAddress(t, n, held);
      const batch = alloc.allocate(n);
      expect(batch).toEqual(one);
      if (one.ok) held.add(one.ip);
    }
    // /28: 14 hosts, minus gateway and the one in use: 12 handed out, the last names run out.
    expect(held.size).toBe(13);
  });

  it('allocates 10000 addresses in one pass without quadratic cost', () => {
    const t = tenant({ subnet: '10.0.0.0/16', gateway: '10.0.0.1' });
    const alloc = new TenantAllocator(t, []);
    const ips = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const r = alloc.allocate(`ns-${i}`);
      if (r.ok) ips.add(r.ip);
    }
    expect(ips.size).toBe(10_000);
    expect(ips.has('10.0.0.1')).toBe(false);
    expect(ips.has('10.0.0.2')).toBe(true);
    expect(ips.has('10.0.39.17')).toBe(true);
  });
});
