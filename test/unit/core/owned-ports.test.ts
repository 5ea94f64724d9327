import { describe, expect, it } from 'vitest';
import { computeDesired } from '../../../src/core/desired.js';
import { interfaceRecord, ownedPorts, ownedState, sameOwnedState, type PortRecordSource } from '../../../src/core/owned-ports.js';
import { ExternalIds, OWNER_KEY, OWNER_VALUE } from '../../../src/core/ownership.js';
import { deps, ns, tenant } from './fixtures.js';

describe('ownedPorts / interfaceRecord', () => {
  const blue = tenant('blue', 100, '10.10.0.0/24', ['blue-*'], { gateway: '10.10.0.1' });
  const d = [...computeDesired(new Map([['blue', blue]]), [ns('blue-a', 7)], [], deps).ports.values()][0]!;

  function db(ids: Record<string, string>, portIds: Record<string, string> = { [OWNER_KEY]: OWNER_VALUE }) {
    return {
      bridges: new Map([['b1', { name: 'br-nsv', ports: ['p1', 'p2'] }]]),
      ports: new Map([
        ['p1', { _uuid: 'p1', name: d.hostIf, interfaces: ['i1'], external_ids: portIds }],
        ['p2', { _uuid: 'p2', name: 'foreign', interfaces: ['i2'], external_ids: {} }],
      ]),
      interfaces: new Map([
        ['i1', { _uuid: 'i1', name: d.hostIf, ofport: 3, external_ids: ids }],
        ['i2', { _uuid: 'i2', name: 'foreign', ofport: 4, external_ids: {} }],
      ]),
    };
  }

  it('round-trips a desired port through its record, ignoring ports it does not own', () => {
    const { owned, broken } = ownedPorts(db({ ...interfaceRecord(d), [ExternalIds.installed]: 'true' }), 'br-nsv');
    expect(broken).toEqual([]);
    expect(owned).toEqual([{
      portUuid: 'p1', ifaceUuid: 'i1', name: d.hostIf, key: d.key, nsPath: d.ns.path, nsInode: 7, tenant: 'blue', tenantId: 100,
      cidr: `${d.ip}/24`, mac: d.mac, ifName: 'eth0', mtu: 1500, gateway: '10.10.0.1', ofport: 3, installed: true,
    }]);
  });

  it('reports owned rows with unreadable records as broken, and sees nothing on another bridge', () => {
    const ids = interfaceRecord(d);
    delete ids[ExternalIds.netnsInode];
    expect(ownedPorts(db(ids), 'br-nsv').broken).toEqual([{ portUuid: 'p1', name: d.hostIf }]);
    expect(ownedPorts(db(interfaceRecord(d)), 'br-other')).toEqual({ owned: [], broken: [] });
  });
});

describe('ownedState / sameOwnedState', () => {
  const blue = tenant('blue', 100, '10.10.0.0/24', ['blue-*']);
  const d = [...computeDesired(new Map([['blue', blue]]), [ns('blue-a', 7)], [], deps).ports.values()][0]!;
  const db = (ofport: number | undefined, ids: Record<string, string>, stats: Record<string, number> = {}) => ({
    bridges: new Map([['b1', { name: 'br-nsv', ports: ['p1'] }]]),
    ports: new Map([['p1', { _uuid: 'p1', name: d.hostIf, interfaces: ['i1'], external_ids: { [OWNER_KEY]: OWNER_VALUE } }]]),
    interfaces: new Map([['i1', { _uuid: 'i1', name: d.hostIf, ofport, external_ids: ids, statistics: stats }]]),
  });

  it('changes with ofports and records, not with statistics', () => {
    const base = ownedState(db(3, interfaceRecord(d)), 'br-nsv');
    // Every call builds new record maps: equal contents are the same state.
    expect(sameOwnedState(ownedState(db(3, interfaceRecord(d), { rx_packets: 9 }), 'br-nsv'), base)).toBe(true);
    expect(sameOwnedState(ownedState(db(4, interfaceRecord(d)), 'br-nsv'), base)).toBe(false);
    expect(sameOwnedState(ownedState(db(undefined, interfaceRecord(d)), 'br-nsv'), base)).toBe(false);
    expect(sameOwnedState(ownedState(db(3, { ...interfaceRecord(d), [ExternalIds.installed]: 'true' }), 'br-nsv'), base)).toBe(false);
    expect(ownedState(db(3, interfaceRecord(d)), 'br-other')).toEqual([]);
  });

  it('tells ports and interfaces added, removed or renamed', () => {
    const two: PortRecordSource = {
      bridges: new Map([['b1', { name: 'br-nsv', ports: ['p1', 'p2'] }]]),
      ports: new Map<string, PortRecordSource['ports'] extends ReadonlyMap<string, infer P> ? P : never>([
        ['p1', { _uuid: 'p1', name: d.hostIf, interfaces: ['i1'], external_ids: { [OWNER_KEY]: OWNER_VALUE } }],
        ['p2', { _uuid: 'p2', name: 'foreign', interfaces: ['i2'], external_ids: {} }],
      ]),
      interfaces: new Map<string, PortRecordSource['interfaces'] extends ReadonlyMap<string, infer I> ? I : never>([
        ['i1', { _uuid: 'i1', name: d.hostIf, ofport: 3, external_ids: interfaceRecord(d) }],
        ['i2', { _uuid: 'i2', name: 'foreign', ofport: 4, external_ids: {} }],
      ]),
    };
    const one = ownedState(db(3, interfaceRecord(d)), 'br-nsv');
    // A foreign port joining counts (the bridge's port list is read); its interface does not.
    expect(sameOwnedState(ownedState(two, 'br-nsv'), one)).toBe(false);
    const renamed = { ...two, interfaces: new Map([...two.interfaces, ['i2', { _uuid: 'i2', name: 'other', ofport: 9, external_ids: { x: 'y' } }]]) };
    expect(sameOwnedState(ownedState(renamed, 'br-nsv'), ownedState(two, 'br-nsv'))).toBe(true);
    const ownRenamed = { ...two, interfaces: new Map([...two.interfaces, ['i1', { _uuid: 'i1', name: 'nsvother', ofport: 3, external_ids: interfaceRecord(d) }]]) };
    expect(sameOwnedState(ownedState(ownRenamed, 'br-nsv'), ownedState(two, 'br-nsv'))).toBe(false);
    expect(sameOwnedState([], [])).toBe(true);
  });
});
