import { describe, expect, it } from 'vitest';
import { computeDesired } from '../../../src/core/desired.js';
import type { OwnedPort } from '../../../src/core/model.js';
import { hostIfName, macFor } from '../../../src/core/names.js';
import { namespaceKey } from '../../../src/netns/types.js';
import { deps, ns, tenant } from './fixtures.js';

const blue = tenant('blue', 100, '10.10.0.0/24', ['blue-*'], { gateway: '10.10.0.1' });
const red = tenant('red', 200, '10.20.0.0/29', ['red-*']);
const tenants = new Map([
  ['blue', blue],
  ['red', red],
]);

function owned(n: ReturnType<typeof ns>, t: string, tenantId: number, cidr: string, extra: Partial<OwnedPort> = {}): OwnedPort {
  const key = namespaceKey(n);
  return {
    portUuid: `p-${key}`, ifaceUuid: `i-${key}`, name: hostIfName(key), key, nsPath: n.path, nsInode: n.inode,
    tenant: t, tenantId, cidr, mac: macFor(key), ifName: 'eth0', mtu: 1500, gateway: undefined, ofport: 1, installed: true,
    ...extra,
  };
}

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
