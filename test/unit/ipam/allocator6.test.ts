import { describe, expect, it } from 'vitest';
import { Tenant6Allocator } from '../../../src/ipam/index.js';
import type { Tenant } from '../../../src/manifests/types.js';

const t = (extra: Partial<Tenant> = {}): Tenant => ({
  name: 'blue', id: 1, subnet: '10.0.0.0/24', namespaces: ['blue-*'], interface: { name: 'eth0', mtu: 1500 }, staticAddresses: {},
  source: { file: 'b.yaml', line: 1 }, subnet6: 'fd00:10::/64', staticAddresses6: {}, ...extra,
});

describe('Tenant6Allocator', () => {
  it('hands out the lowest free addresses after the subnet-router anycast address, skipping gateway6, statics and held ones', () => {
    const a = new Tenant6Allocator(t({ gateway6: 'fd00:10::2', staticAddresses6: { db: 'fd00:10::4' } }), ['fd00:10::1']);
    expect([a.allocate('x'), a.allocate('y'), a.allocate('db')].map((r) => r.ok && r.ip)).toEqual(['fd00:10::3', 'fd00:10::5', 'fd00:10::4']);
  });

  it('refuses a static address another port holds, and reports exhaustion of a small prefix', () => {
    const a = new Tenant6Allocator(t({ subnet6: 'fd00:10::/126', staticAddresses6: { db: 'fd00:10::1' } }), ['fd00:10::1']);
    expect(a.allocate('db')).toMatchObject({ ok: false, error: { name: 'StaticAddressInUseError' } });
    expect(a.allocate('x')).toMatchObject({ ok: true, ip: 'fd00:10::2' });
    expect(a.allocate('y')).toMatchObject({ ok: true, ip: 'fd00:10::3' });
    const r = a.allocate('z');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.message).toBe('No free address in subnet fd00:10::/126 of tenant "blue" for namespace "z"');
  });

  it('costs the number of addresses skipped, not the size of a /64 (10,000 allocations in a /64 with 10,000 held)', () => {
    const held = Array.from({ length: 10_000 }, (_, i) => `fd00:10::${(i * 2 + 1).toString(16)}`);
    const a = new Tenant6Allocator(t(), held);
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) expect(a.allocate(`n${i}`).ok).toBe(true);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
