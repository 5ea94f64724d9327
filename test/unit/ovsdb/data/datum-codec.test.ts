import { describe, expect, it } from 'vitest';
import { applyColumnDiff, applyRowDiff, decodeAtom, decodeRow, decodeValue, defaultValue } from '../../../../src/ovsdb/data/datum-codec.js';
import { namedUuid, ovsMap, ovsOptional, ovsSet, uuid } from '../../../../src/ovsdb/data/wire-values.js';
import { parseDbSchema, tableSchema, type ColumnType } from '../../../../src/ovsdb/schema/db-schema.js';
import { ZERO_UUID } from '../../../../src/ovsdb/wire/wire-types.js';
import { recordedVswitchSchema } from '../fixtures/recorded.js';

const schema = parseDbSchema(recordedVswitchSchema());
const colType = (t: string, c: string): ColumnType => tableSchema(schema, t).columns.get(c)!.type;
const U1 = '11111111-1111-4111-8111-111111111111';
const U2 = '22222222-2222-4222-8222-222222222222';

describe('wire value helpers', () => {
  it('build RFC 7047 notation', () => {
    expect(uuid(U1)).toEqual(['uuid', U1]);
    expect(namedUuid('p0')).toEqual(['named-uuid', 'p0']);
    expect(ovsSet(['a'])).toEqual(['set', ['a']]);
    expect(ovsOptional(undefined)).toEqual(['set', []]);
    expect(ovsOptional(5)).toBe(5);
    expect(ovsMap({ a: '1', b: '2' })).toEqual(['map', [['a', '1'], ['b', '2']]]);
    expect(ovsMap([[1, uuid(U1)]])).toEqual(['map', [[1, ['uuid', U1]]]]);
  });
});

describe('decodeValue', () => {
  it('decodes atoms: uuid → string, safe bigint → number, unsafe bigint kept', () => {
    expect(decodeAtom(['uuid', U1])).toBe(U1);
    expect(decodeAtom(42n)).toBe(42);
    expect(decodeAtom(2n ** 62n)).toBe(2n ** 62n);
    expect(decodeAtom(true)).toBe(true);
  });

  it('reads a one-element set sent as the bare atom, and ["set", [...]] for others', () => {
    const ports = colType('Bridge', 'ports');
    expect(decodeValue(ports, ['uuid', U1])).toEqual([U1]);
    expect(decodeValue(ports, ['set', [['uuid', U1], ['uuid', U2]]])).toEqual([U1, U2]);
    expect(decodeValue(ports, ['set', []])).toEqual([]);
    expect(decodeValue(colType('Bridge', 'protocols'), 'OpenFlow13')).toEqual(['OpenFlow13']);
  });

  it('reads optional columns as value | undefined and scalars as the value', () => {
    expect(decodeValue(colType('Bridge', 'fail_mode'), ['set', []])).toBeUndefined();
    expect(decodeValue(colType('Bridge', 'fail_mode'), 'secure')).toBe('secure');
    expect(decodeValue(colType('Interface', 'ofport'), ['set', [7]])).toBe(7);
    expect(decodeValue(colType('Bridge', 'name'), 'br0')).toBe('br0');
  });

  it('reads maps as Records, with integer keys stringified and 64-bit values exact', () => {
    expect(decodeValue(colType('Bridge', 'external_ids'), ['map', [['a', 'x'], ['é😀', '{"}']]])).toEqual({ a: 'x', 'é😀': '{"}' });
    expect(decodeValue(colType('Interface', 'statistics'), ['map', [['rx_bytes', 9223372036854775807n]]])).toEqual({ rx_bytes: 9223372036854775807n });
    expect(decodeValue(colType('QoS', 'queues'), ['map', [[0, ['uuid', U1]]]])).toEqual({ 0: U1 });
  });
});

describe('defaults (update2 initial/insert omit them)', () => {
  it('are the RFC 7047 type defaults', () => {
    expect(defaultValue(colType('Bridge', 'name'))).toBe('');
    expect(defaultValue(colType('Open_vSwitch', 'next_cfg'))).toBe(0);
    expect(defaultValue(colType('Bridge', 'stp_enable'))).toBe(false);
    expect(defaultValue(colType('Bridge', 'fail_mode'))).toBeUndefined();
    expect(defaultValue(colType('Bridge', 'ports'))).toEqual([]);
    expect(defaultValue(colType('Bridge', 'external_ids'))).toEqual({});
    expect(defaultValue(colType('Port', 'interfaces'))).toEqual([ZERO_UUID]);
  });

  it('fill every missing column of a decoded row (or of the monitored columns only)', () => {
    const row = decodeRow(tableSchema(schema, 'Bridge'), U1, { name: 'br0' });
    expect(row).toMatchObject({ _uuid: U1, name: 'br0', ports: [], datapath_type: '', fail_mode: undefined, protocols: [], external_ids: {} });
    expect(Object.keys(row).length).toBe(tableSchema(schema, 'Bridge').columns.size + 1);
    expect(decodeRow(tableSchema(schema, 'Bridge'), U1, {}, ['name', 'ports'])).toEqual({ _uuid: U1, name: '', ports: [] });
  });
});

describe('update2 modify diffs', () => {
  it('toggle set elements (symmetric difference)', () => {
    const t = colType('Bridge', 'ports');
    expect(applyColumnDiff(t, [U1], ['uuid', U2])).toEqual([U1, U2]);
    expect(applyColumnDiff(t, [U1, U2], ['set', [['uuid', U1]]])).toEqual([U2]);
    expect(applyColumnDiff(t, [U1], ['set', [['uuid', U1], ['uuid', U2]]])).toEqual([U2]);
  });

  it('replace optional (0..1) values with the new value, as ovsdb-server sends them (not a toggle)', () => {
    // Seen from ovsdb-server 3.1: secure→[] sends ["set",[]], standalone→secure sends "secure".
    const t = colType('Bridge', 'fail_mode');
    expect(applyColumnDiff(t, undefined, 'secure')).toBe('secure');
    expect(applyColumnDiff(t, 'standalone', 'secure')).toBe('secure');
    expect(applyColumnDiff(t, 'secure', ['set', []])).toBeUndefined();
    expect(applyColumnDiff(colType('Interface', 'ofport'), 1, 2)).toBe(2);
  });

  it('work key by key on maps: add, remove on equal value, replace on different value', () => {
    const t = colType('Bridge', 'external_ids');
    expect(applyColumnDiff(t, { a: '1', b: '2', c: '3' }, ovsMap({ a: '1', b: 'two', d: '4' }))).toEqual({ b: 'two', c: '3', d: '4' });
  });

  it('replace scalars and leave the old row untouched', () => {
    const ts = tableSchema(schema, 'Open_vSwitch');
    const old = decodeRow(ts, U1, { next_cfg: 1 }, ['next_cfg', 'bridges']);
    const next = applyRowDiff(ts, old, { next_cfg: 2, bridges: ['uuid', U2] });
    expect(next).toEqual({ _uuid: U1, next_cfg: 2, bridges: [U2] });
    expect(old).toEqual({ _uuid: U1, next_cfg: 1, bridges: [] });
  });
});

describe('one element order for sets', () => {
  it('decodes a set in the same order whatever order the server sent, and a diff keeps that order', () => {
    const t: ColumnType = { key: { type: 'string' as const }, min: 0, max: Infinity };
    const a = decodeValue(t, ['set', ['c', 'a', 'b']]);
    expect(a).toEqual(['a', 'b', 'c']);
    expect(decodeValue(t, ['set', ['b', 'c', 'a']])).toEqual(a);
    expect(applyColumnDiff(t, a, ['set', ['0', 'b']])).toEqual(['0', 'a', 'c']);
    const ints: ColumnType = { key: { type: 'integer' as const }, min: 0, max: Infinity };
    expect(decodeValue(ints, ['set', [10, 2, 33]])).toEqual([2, 10, 33]);
  });
});
