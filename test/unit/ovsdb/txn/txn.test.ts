import { describe, expect, it } from 'vitest';
import { Txn, nextCfgFromResult } from '../../../../src/ovsdb/txn/txn.js';
import { byUuid, mutation, ovsMap, ovsSet } from '../../../../src/ovsdb/data/wire-values.js';
import { OvsdbMissingRowError } from '../../../../src/ovsdb/errors/ovsdb-missing-row-error.js';

describe('Txn', () => {
  it('builds ops in order with named-uuid references between inserts', () => {
    const t = new Txn();
    const iface = t.insert('Interface', { name: 'p0', type: 'internal' });
    const port = t.insert('Port', { name: 'p0', interfaces: iface }, 'port_p0');
    const m = t.mutate('Bridge', [byUuid('b')], [mutation('ports', 'insert', ovsSet([port]))]);
    const c = t.comment('add p0');
    expect(port).toEqual(['named-uuid', 'port_p0']);
    expect([m, c]).toEqual([2, 3]);
    expect(t.ops()).toEqual([
      { op: 'insert', table: 'Interface', row: { name: 'p0', type: 'internal' }, 'uuid-name': iface[1] },
      { op: 'insert', table: 'Port', row: { name: 'p0', interfaces: iface }, 'uuid-name': 'port_p0' },
      { op: 'mutate', table: 'Bridge', where: [['_uuid', '==', ['uuid', 'b']]], mutations: [['ports', 'insert', ['set', [['named-uuid', 'port_p0']]]]] },
      { op: 'comment', comment: 'add p0' },
    ]);
    expect(t.uuidOf([{ uuid: ['uuid', 'U0'] }, { uuid: ['uuid', 'U1'] }, { count: 1 }, {}], port)).toBe('U1');
  });

  it('builds update, delete, select, wait, abort, assert', () => {
    const t = new Txn();
    t.update('Bridge', [['name', '==', 'br0']], { external_ids: ovsMap({ a: 'b' }) });
    t.delete('Port', [['name', '==', 'p0']]);
    t.select('Bridge', [], ['name']);
    t.wait('Bridge', [['name', '==', 'br0']], ['name'], '==', [{ name: 'br0' }], 0);
    t.abort();
    t.assertLock('nsvswitch');
    expect(t.ops().map((o) => o.op)).toEqual(['update', 'delete', 'select', 'wait', 'abort', 'assert']);
    expect(t.ops()[3]).toMatchObject({ timeout: 0, until: '==' });
  });

  it('bumps next_cfg and points at the select that reads the new value', () => {
    const t = new Txn();
    t.comment('x');
    const i = t.bumpNextCfg('root');
    expect(i).toBe(2);
    expect(t.ops()[1]).toEqual({ op: 'mutate', table: 'Open_vSwitch', where: [['_uuid', '==', ['uuid', 'root']]], mutations: [['next_cfg', '+=', 1]] });
    expect(t.ops()[2]).toEqual({ op: 'select', table: 'Open_vSwitch', where: [['_uuid', '==', ['uuid', 'root']]], columns: ['next_cfg'] });
    expect(nextCfgFromResult({ rows: [{ next_cfg: 7 }] })).toBe(7);
    expect(() => nextCfgFromResult({ rows: [] })).toThrow(OvsdbMissingRowError);
  });

  it('rejects uuid-names the server would refuse', () => {
    expect(() => new Txn().insert('Port', {}, 'bad-name')).toThrow(/must match/);
  });
});
