import { describe, expect, it } from 'vitest';
import type { InterfaceReplica, InterfaceRow } from '../../../../../bench/lib/interface-replica.js';
import { stampMarked } from '../../../../../bench/lib/ovn/marker-tracker.js';

const row = (name: string, ids: Record<string, string>): InterfaceRow => ({ uuid: name, name, ofport: 1, externalIds: ids });

describe('bench/ovn marker stamps', () => {
  it('stamps each workload once, at the first update that shows the marker', () => {
    const rep: InterfaceReplica = new Map([['a', row('a', { 'iface-id': 'p1' })], ['b', row('b', { 'iface-id': 'p2', 'ovn-installed': 'true' })]]);
    const stamps = new Map<string, number>();
    const key = (r: InterfaceRow): string | undefined => r.externalIds['iface-id'];
    expect(stampMarked(rep, 10, stamps, key, 'ovn-installed')).toBe(1);
    rep.set('a', row('a', { 'iface-id': 'p1', 'ovn-installed': 'true' }));
    expect(stampMarked(rep, 20, stamps, key, 'ovn-installed')).toBe(1);
    expect(stampMarked(rep, 30, stamps, key, 'ovn-installed')).toBe(0);
    expect([...stamps]).toEqual([['p2', 10], ['p1', 20]]);
  });

  it('ignores rows that belong to no workload and markers other than "true"', () => {
    const rep: InterfaceReplica = new Map([['x', row('x', { 'ovn-installed': 'true' })], ['y', row('y', { 'iface-id': 'p', 'ovn-installed': 'false' })]]);
    const stamps = new Map<string, number>();
    expect(stampMarked(rep, 1, stamps, (r) => r.externalIds['iface-id'], 'ovn-installed')).toBe(0);
  });
});
