import { describe, expect, it } from 'vitest';
import { computeDesired } from '../../../src/core/desired.js';
import { withoutIpv6 } from '../../../src/core/desired-ipv6.js';
import { plan } from '../../../src/core/plan.js';
import { interfaceRecord, ownedPorts } from '../../../src/core/owned-ports.js';
import { namespaceKey } from '../../../src/netns/types.js';
import { deps, ns, tenant, owned } from './fixtures.js';

const blue = tenant('blue', 100, '10.10.0.0/24', ['blue-*'], {
  gateway: '10.10.0.1', subnet6: 'fd00:10::/64', gateway6: 'fd00:10::1', staticAddresses6: { 'blue-db': 'fd00:10::a' },
});
const red = tenant('red', 200, '10.20.0.0/24', ['red-*']);
const tiny = tenant('tiny', 300, '10.30.0.0/24', ['tiny-*'], { subnet6: 'fd00:30::/126', gateway6: 'fd00:30::1', staticAddresses6: {} });
const tenants = new Map([['blue', blue], ['red', red], ['tiny', tiny]]);


const keyOf = (n: ReturnType<typeof ns>): string => namespaceKey(n);

describe('computeDesired: dual-stack tenants', () => {
  it('gives each port of a dual-stack tenant an IPv6 address too: static first, then the lowest free, never the anycast or gateway6', () => {
    const a = ns('blue-a', 1);
    const b = ns('blue-b', 2);
    const db = ns('blue-db', 3);
    const d = computeDesired(tenants, [b, a, db], [], deps);
    expect(d.ports.get(keyOf(a))?.ipv6).toEqual({ ip: 'fd00:10::2', prefixLen: 64, gateway: 'fd00:10::1' });
    expect(d.ports.get(keyOf(b))?.ipv6).toEqual({ ip: 'fd00:10::3', prefixLen: 64, gateway: 'fd00:10::1' });
    expect(d.ports.get(keyOf(db))?.ipv6?.ip).toBe('fd00:10::a');
    expect(d.ports.get(keyOf(a))?.ip).toBe('10.10.0.2');
    const v = d.verdicts.get(keyOf(a));
    expect(v?.kind === 'desired' && v.port.ipv6?.ip).toBe('fd00:10::2');
  });

  it('leaves IPv4-only tenants exactly as before (no ipv6 property)', () => {
    const r = ns('red-1', 1);
    const d = computeDesired(tenants, [r], [], deps);
    expect(Object.keys(d.ports.get(keyOf(r))!)).not.toContain('ipv6');
  });

  it('keeps a recorded IPv6 address (restart: the plan keeps the port, nothing is replugged)', () => {
    const old = ns('blue-z', 9);
    const fresh = ns('blue-new', 1);
    const o = owned(old, 'blue', 100, '10.10.0.2/24', { cidr6: 'fd00:10::7/64', gateway: '10.10.0.1', gateway6: 'fd00:10::1' });
    const d = computeDesired(tenants, [fresh, old], [o], deps);
    expect(d.ports.get(keyOf(old))?.ipv6?.ip).toBe('fd00:10::7');
    expect(d.ports.get(keyOf(fresh))?.ipv6?.ip).toBe('fd00:10::2');
    const p = plan({ ports: new Map([[keyOf(old), d.ports.get(keyOf(old))!]]), verdicts: new Map() }, [o]);
    expect(p.plug).toEqual([]);
    expect(p.remove).toEqual([]);
  });

  it('replugs a port whose IPv6 record no longer fits (subnet6 added, removed or changed)', () => {
    const n = ns('blue-a', 1);
    const v4only = owned(n, 'blue', 100, '10.10.0.2/24', { gateway: '10.10.0.1' });
    const d = computeDesired(tenants, [n], [v4only], deps);
    expect(plan(d, [v4only]).remove).toHaveLength(1);
    const stale = owned(ns('red-1', 1), 'red', 200, '10.20.0.1/24', { cidr6: 'fd00:20::2/64' });
    const d2 = computeDesired(tenants, [ns('red-1', 1)], [stale], deps);
    expect(d2.ports.get(stale.key)?.ipv6).toBeUndefined();
    expect(plan(d2, [stale]).remove).toHaveLength(1);
  });

  it('remembers what the agent last gave a namespace whose record vanished', () => {
    const n = ns('blue-a', 1);
    const d = computeDesired(tenants, [n], [], deps, new Map([[keyOf(n), { tenant: 'blue', cidr: '10.10.0.9/24', cidr6: 'fd00:10::99/64' }]]));
    expect(d.ports.get(keyOf(n))?.ipv6?.ip).toBe('fd00:10::99');
  });

  it('fails only the namespace left without an IPv6 address (a /126 with a gateway holds two)', () => {
    const list = [ns('tiny-a', 1), ns('tiny-b', 2), ns('tiny-c', 3)];
    const d = computeDesired(tenants, list, [], deps);
    expect(list.map((n) => d.ports.get(keyOf(n))?.ipv6?.ip)).toEqual(['fd00:30::2', 'fd00:30::3', undefined]);
    expect(d.verdicts.get(keyOf(list[2]!))).toMatchObject({ kind: 'error', reason: 'ipam' });
    expect(d.ports.has(keyOf(list[2]!))).toBe(false);
  });

  it('is the same whatever the input order (deterministic)', () => {
    const list = [ns('blue-a', 1), ns('blue-b', 2), ns('blue-c', 3)];
    const one = computeDesired(tenants, list, [], deps);
    const two = computeDesired(tenants, [...list].reverse(), [], deps);
    expect([...two.ports.values()].map((p) => [p.key, p.ipv6?.ip]).sort()).toEqual([...one.ports.values()].map((p) => [p.key, p.ipv6?.ip]).sort());
  });
});

describe('withoutIpv6 (the OVN backend is IPv4-only)', () => {
  it('drops every port\'s IPv6 half, in ports and verdicts alike, and leaves an IPv4-only state as it is', () => {
    const d = computeDesired(tenants, [ns('blue-a', 1), ns('red-1', 2)], [], deps);
    const v4 = withoutIpv6(d);
    expect([...v4.ports.values()].some((p) => 'ipv6' in p)).toBe(false);
    expect([...v4.verdicts.values()].some((v) => v.kind === 'desired' && 'ipv6' in v.port)).toBe(false);
    expect(v4.ports.get(keyOf(ns('blue-a', 1)))?.ip).toBe('10.10.0.2');
    const plain = computeDesired(tenants, [ns('red-1', 2)], [], deps);
    expect(withoutIpv6(plain)).toBe(plain);
  });
});

describe('the IPv6 record in OVSDB', () => {
  it('writes nsvswitch-ip6 and nsvswitch-gateway6 and reads them back; IPv4-only records carry neither', () => {
    const n = ns('blue-a', 1);
    const d = computeDesired(tenants, [n], [], deps).ports.get(keyOf(n))!;
    const ids = interfaceRecord(d);
    expect(ids['nsvswitch-ip6']).toBe('fd00:10::2/64');
    expect(ids['nsvswitch-gateway6']).toBe('fd00:10::1');
    const r = computeDesired(tenants, [ns('red-1', 2)], [], deps).ports.get(keyOf(ns('red-1', 2)))!;
    expect(Object.keys(interfaceRecord(r)).filter((k) => k.includes('6'))).toEqual([]);

    const db = {
      bridges: new Map([['b', { name: 'br', ports: ['p1'] }]]),
      ports: new Map([['p1', { _uuid: 'p1', name: d.hostIf, interfaces: ['i1'], external_ids: { 'nsvswitch-owner': 'nsvswitch' } }]]),
      interfaces: new Map([['i1', { _uuid: 'i1', name: d.hostIf, ofport: 3, external_ids: ids }]]),
    };
    const [o] = ownedPorts(db, 'br').owned;
    expect(o).toMatchObject({ cidr6: 'fd00:10::2/64', gateway6: 'fd00:10::1' });
    expect(plan(computeDesired(tenants, [n], [o!], deps), [o!])).toMatchObject({ plug: [], remove: [] });
  });
});
