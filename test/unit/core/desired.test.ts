import { describe, expect, it } from 'vitest';
import { computeDesired } from '../../../src/core/desired.js';
import type { DesiredPort, OwnedPort } from '../../../src/core/model.js';
import { plan } from '../../../src/core/plan.js';
import { hostIfName, macFor } from '../../../src/core/names.js';
import { namespaceKey } from '../../../src/netns/types.js';
import { deps, ns, tenant, owned } from './fixtures.js';

const blue = tenant('blue', 100, '10.10.0.0/24', ['blue-*'], { gateway: '10.10.0.1' });
const red = tenant('red', 200, '10.20.0.0/29', ['red-*']);
const tenants = new Map([
  ['blue', blue],
  ['red', red],
]);


describe('computeDesired', () => {
  it('gives matched namespaces the lowest free addresses in first-seen order, skipping the gateway', () => {
    const d = computeDesired(tenants, [ns('blue-b', 2), ns('blue-a', 1)], [], deps);
    expect(d.ports.get(namespaceKey(ns('blue-a', 1)))?.ip).toBe('10.10.0.2');
    expect(d.ports.get(namespaceKey(ns('blue-b', 2)))?.ip).toBe('10.10.0.3');
    const p = d.ports.get(namespaceKey(ns('blue-a', 1)))!;
    expect(p).toMatchObject({ tenant: 'blue', tenantId: 100, prefixLen: 24, gateway: '10.10.0.1', ifName: 'eth0', mtu: 1500 });
    expect(p.hostIf).toHaveLength(15);
  });

  it('keeps addresses recorded on owned ports, and does not hand them to newcomers', () => {
    const old = ns('blue-z', 9);
    const d = computeDesired(tenants, [ns('blue-new', 1), old], [owned(old, 'blue', 100, '10.10.0.2/24')], deps);
    expect(d.ports.get(namespaceKey(old))?.ip).toBe('10.10.0.2');
    expect(d.ports.get(namespaceKey(ns('blue-new', 1)))?.ip).toBe('10.10.0.3');
  });

  it('re-allocates when the owned address no longer fits the tenant (subnet changed)', () => {
    const n = ns('blue-a', 1);
    const d = computeDesired(tenants, [n], [owned(n, 'blue', 100, '10.99.0.7/24')], deps);
    expect(d.ports.get(namespaceKey(n))?.ip).toBe('10.10.0.2');
  });

  it('treats a re-created namespace (new inode) as new', () => {
    const before = ns('blue-a', 1);
    const after = ns('blue-a', 2);
    const d = computeDesired(tenants, [after], [owned(before, 'blue', 100, '10.10.0.2/24')], deps);
    const p = d.ports.get(namespaceKey(after))!;
    expect(p.hostIf).not.toBe(hostIfName(namespaceKey(before)));
  });

  it('reports unmatched, conflicting and exhausted namespaces without a port, others unaffected', () => {
    const both = tenant('both', 300, '10.30.0.0/24', ['red-1']);
    const t = new Map([...tenants, ['both', both]]);
    const names = ['nobody', 'red-1', 'red-2', 'red-3', 'red-4', 'red-5', 'red-6', 'red-7', 'red-8'];
    const d = computeDesired(t, names.map((n, i) => ns(n, i + 1)), [], deps);
    expect(d.verdicts.get(namespaceKey(ns('nobody', 1)))).toEqual({ kind: 'unmatched' });
    expect(d.verdicts.get(namespaceKey(ns('red-1', 2)))).toEqual({ kind: 'conflict', tenants: ['red', 'both'] });
    // red is a /29: 6 host addresses for red-2..red-7, red-8 is one too many.
    expect([2, 3, 4, 5, 6, 7].map((i) => d.ports.get(namespaceKey(ns(`red-${i}`, i + 1)))?.ip)).toEqual(
      ['10.20.0.1', '10.20.0.2', '10.20.0.3', '10.20.0.4', '10.20.0.5', '10.20.0.6'],
    );
    const v = d.verdicts.get(namespaceKey(ns('red-8', 9)));
    expect(v).toMatchObject({ kind: 'error', tenant: 'red', reason: 'ipam' });
  });

  it('honours static addresses over recorded ones', () => {
    const n = ns('blue-db', 1);
    const t = new Map([['blue', { ...blue, staticAddresses: { 'blue-db': '10.10.0.50' } }]]);
    const d = computeDesired(t, [n], [owned(n, 'blue', 100, '10.10.0.2/24')], deps);
    expect(d.ports.get(namespaceKey(n))?.ip).toBe('10.10.0.50');
  });
});

describe('computeDesired with remembered addresses (records gone under a running agent)', () => {
  const a = ns('blue-a', 1), b = ns('blue-b', 2), c = ns('blue-c', 3);
  const key = namespaceKey;

  it('keeps the address the agent last gave a namespace whose record vanished, holes included', () => {
    // blue-a had .2 and blue-c .4 (blue-b's .3 was released): without memory they would become .2 and .3.
    const remembered = new Map([[key(a), { tenant: 'blue', cidr: '10.10.0.2/24' }], [key(c), { tenant: 'blue', cidr: '10.10.0.4/24' }]]);
    const d = computeDesired(tenants, [a, c], [], deps, remembered);
    expect([d.ports.get(key(a))?.ip, d.ports.get(key(c))?.ip]).toEqual(['10.10.0.2', '10.10.0.4']);
    expect(computeDesired(tenants, [a, c], [], deps).ports.get(key(c))?.ip).toBe('10.10.0.3');
  });

  it('puts recorded addresses first: a remembered address another namespace now records is not reused', () => {
    const remembered = new Map([[key(a), { tenant: 'blue', cidr: '10.10.0.5/24' }]]);
    const d = computeDesired(tenants, [a, b], [owned(b, 'blue', 100, '10.10.0.5/24')], deps, remembered);
    expect(d.ports.get(key(b))?.ip).toBe('10.10.0.5');
    expect(d.ports.get(key(a))?.ip).toBe('10.10.0.2');
  });

  it('ignores memory that no longer fits: another tenant, another subnet, the gateway, a static address', () => {
    const fixed = tenant('blue', 100, '10.10.0.0/24', ['blue-*'], { gateway: '10.10.0.1', staticAddresses: { 'blue-c': '10.10.0.9' } });
    const remembered = new Map([
      [key(a), { tenant: 'red', cidr: '10.10.0.7/24' }],
      [key(b), { tenant: 'blue', cidr: '10.99.0.7/24' }],
      [key(c), { tenant: 'blue', cidr: '10.10.0.8/24' }],
    ]);
    const d = computeDesired(new Map([['blue', fixed]]), [a, b, c], [], deps, remembered);
    expect(d.ports.get(key(a))?.ip).not.toBe('10.10.0.7');
    expect(d.ports.get(key(b))?.ip?.startsWith('10.10.0.')).toBe(true);
    expect(d.ports.get(key(c))?.ip).toBe('10.10.0.9');
  });
});

describe('computeDesired: MACs unique on the bridge', () => {
  const key = namespaceKey;
  const a = ns('blue-a', 1), b = ns('red-b', 2), c = ns('blue-c', 3);
  const SHARED = '02:aa:aa:aa:aa:aa';
  /** Every namespace's own derived MAC is the same one (a hash collision, on demand); later candidates are real. */
  const colliding = { ...deps, mac: (k: string, attempt: number) => (attempt === 0 ? SHARED : macFor(k, attempt)) };
  const asOwned = (d: DesiredPort): OwnedPort => ({
    portUuid: `p-${d.key}`, ifaceUuid: `i-${d.key}`, name: d.hostIf, key: d.key, nsPath: d.ns.path, nsInode: d.ns.inode,
    tenant: d.tenant, tenantId: d.tenantId, cidr: `${d.ip}/${d.prefixLen}`, mac: d.mac, ifName: d.ifName, mtu: d.mtu,
    gateway: d.gateway, ofport: 1, installed: true,
  });

  it('gives colliding namespaces distinct MACs, across tenants too, and says which took a later candidate', () => {
    const d = computeDesired(tenants, [c, b, a], [], colliding);
    const macs = [a, b, c].map((n) => d.ports.get(key(n))!.mac);
    expect(new Set(macs).size).toBe(3);
    expect(macs.filter((m) => m === SHARED)).toHaveLength(1);
    expect([a, b, c].map((n) => d.ports.get(key(n))!.macCandidate).filter((x) => x !== undefined)).toEqual([1, 1]);
  });

  it('a newcomer whose derived MAC an owned port carries gets the next one; the owned port is kept, not replugged', () => {
    const first = computeDesired(tenants, [a], [], colliding);
    const ownedA = asOwned(first.ports.get(key(a))!);
    expect(ownedA.mac).toBe(SHARED);
    const d = computeDesired(tenants, [a, c], [ownedA], colliding);
    expect(d.ports.get(key(a))!.mac).toBe(SHARED);
    expect(d.ports.get(key(c))).toMatchObject({ mac: macFor(key(c), 1), macCandidate: 1 });
    const p = plan(d, [ownedA]);
    expect(p.keep).toEqual([ownedA]);
    expect(p.plug.map((x) => x.key)).toEqual([key(c)]);
    expect(p.remove).toEqual([]);
  });

  it('restart: with every port recorded, the same desired state and nothing to do', () => {
    const first = computeDesired(tenants, [a, b, c], [], colliding);
    const owned = [...first.ports.values()].map(asOwned);
    // Even if the derivation changed meanwhile (here: no collision any more), recorded MACs win.
    for (const d2 of [computeDesired(tenants, [c, a, b], owned, colliding), computeDesired(tenants, [a, b, c], owned, deps)]) {
      expect([...d2.ports.values()].map((x) => x.mac)).toEqual([...first.ports.values()].map((x) => x.mac));
      const p = plan(d2, owned);
      expect([p.plug, p.remove, p.markInstalled]).toEqual([[], [], []]);
    }
  });

  it('heals ports an older agent left sharing a MAC: one keeps it, the other is replugged with its own', () => {
    const first = computeDesired(tenants, [a, c], [], deps);
    const owned = [...first.ports.values()].map((x) => ({ ...asOwned(x), mac: SHARED }));
    const d = computeDesired(tenants, [a, c], owned, deps);
    const [ma, mc] = [d.ports.get(key(a))!.mac, d.ports.get(key(c))!.mac];
    expect(ma).not.toBe(mc);
    expect([ma, mc]).toContain(SHARED);
    const p = plan(d, owned);
    expect(p.keep).toHaveLength(1);
    expect(p.remove).toHaveLength(1);
    expect(p.plug.map((x) => x.mac)).toEqual([[ma, mc].find((m) => m !== SHARED)]);
  });

  it('keeps the MAC the agent last gave a namespace whose record vanished', () => {
    const remembered = new Map([[key(a), { tenant: 'blue', cidr: '10.10.0.2/24', mac: '02:00:00:00:00:42' }]]);
    expect(computeDesired(tenants, [a], [], deps, remembered).ports.get(key(a))!.mac).toBe('02:00:00:00:00:42');
  });

  it('reports a namespace left without a MAC as an error verdict, not a shared MAC', () => {
    const stuck = { ...deps, mac: () => SHARED };
    const d = computeDesired(tenants, [a, c], [], stuck);
    expect(d.ports.get(key(a))!.mac).toBe(SHARED);
    expect(d.ports.has(key(c))).toBe(false);
    expect(d.verdicts.get(key(c))).toMatchObject({ kind: 'error', tenant: 'blue', reason: 'mac' });
  });
});
