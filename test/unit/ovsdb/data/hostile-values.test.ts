import { describe, expect, it } from 'vitest';
import { applyColumnDiff, applyRowDiff, decodeRow, decodeValue } from '../../../../src/ovsdb/data/datum-codec.js';
import { OvsdbDatumError } from '../../../../src/ovsdb/errors/ovsdb-datum-error.js';
import { parseDbSchema, tableSchema, type ColumnType } from '../../../../src/ovsdb/schema/db-schema.js';
import { parseJsonBigInt } from '../../../../src/ovsdb/wire/json-codec.js';
import { recordedVswitchSchema } from '../fixtures/recorded.js';

const schema = parseDbSchema(recordedVswitchSchema());
const colType = (t: string, c: string): ColumnType => tableSchema(schema, t).columns.get(c)!.type;
const U1 = '11111111-1111-4111-8111-111111111111';

/** Server data is untrusted: values that do not fit their column are refused, map keys are plain data. */
describe('decoding what a lying server sends', () => {
  it('keeps a map key "__proto__" as an ordinary key: the decoded object has no prototype to replace', () => {
    const ids = decodeValue(colType('Bridge', 'external_ids'), ['map', [['__proto__', 'x'], ['constructor', 'y'], ['a', 'b']]]) as Record<string, string>;
    expect(Object.getPrototypeOf(ids)).toBeNull();
    expect(Object.keys(ids)).toEqual(['__proto__', 'constructor', 'a']);
    expect(ids['__proto__']).toBe('x');
    const diffed = applyColumnDiff(colType('Bridge', 'external_ids'), ids, ['map', [['__proto__', 'z'], ['toString', 'w']]]) as Record<string, string>;
    expect(Object.getPrototypeOf(diffed)).toBeNull();
    expect({ ...diffed }).toEqual({ ['__proto__']: 'z', constructor: 'y', a: 'b', toString: 'w' });
    expect(({} as Record<string, unknown>).z).toBeUndefined();
  });

  it('refuses a "__proto__" key whose value is an object posing as a uuid (it replaced the prototype before)', () => {
    const polluting = ['map', [['__proto__', ['uuid', { polluted: true }]]]];
    expect(() => decodeValue(colType('Bridge', 'external_ids'), polluting)).toThrow(OvsdbDatumError);
    expect(() => decodeValue(colType('QoS', 'queues'), ['map', [[0, ['uuid', { polluted: true }]]]])).toThrow(OvsdbDatumError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('decodes rows into objects without a prototype, reading only the row\'s own columns', () => {
    const wire = JSON.parse('{"name":"br0","__proto__":{"name":"evil"}}') as Record<string, unknown>;
    const row = decodeRow(tableSchema(schema, 'Bridge'), U1, wire, ['name', 'external_ids']);
    expect(Object.getPrototypeOf(row)).toBeNull();
    expect(row.name).toBe('br0');
    const next = applyRowDiff(tableSchema(schema, 'Bridge'), row, JSON.parse('{"__proto__":{"x":1},"name":"br1"}'));
    expect(Object.getPrototypeOf(next)).toBeNull();
    expect(next.name).toBe('br1');
  });

  it('refuses values of the wrong type, with the column named', () => {
    const cases: [string, string, unknown][] = [
      ['Bridge', 'name', ['map', []]],
      ['Bridge', 'name', 5],
      ['Bridge', 'ports', ['set', [['uuid', 'not-a-uuid']]]],
      ['Bridge', 'ports', ['set', 'x']],
      ['Bridge', 'external_ids', ['map', [['a', 1]]]],
      ['Bridge', 'external_ids', ['map', [['a']]]],
      ['Bridge', 'external_ids', 'x'],
      ['Interface', 'ofport', 'seven'],
      ['Interface', 'ofport', 1.5],
      ['Interface', 'ofport', 1e300],
      ['Interface', 'ofport', ['set', [1, 2]]],
      ['Bridge', 'stp_enable', 'true'],
      ['Interface', 'statistics', ['map', [['rx_packets', 2n ** 64n]]]],
      ['Interface', 'statistics', ['map', [['rx_packets', null]]]],
      ['Interface', 'statistics', ['map', [['rx_packets', { n: 1 }]]]],
    ];
    for (const [table, column, value] of cases) {
      expect(() => decodeRow(tableSchema(schema, table), U1, { [column]: value }), `${table}.${column} = ${String(value)}`).toThrow(
        new RegExp(`bad OVSDB value in column ${column}`),
      );
    }
    expect(() => decodeRow(tableSchema(schema, 'Bridge'), U1, ['name', 'x'])).toThrow(OvsdbDatumError);
    expect(() => decodeRow(tableSchema(schema, 'Bridge'), U1, null)).toThrow(OvsdbDatumError);
    expect(() => decodeRow(tableSchema(schema, 'Bridge'), '__proto__', {})).toThrow(OvsdbDatumError);
  });

  it('accepts the extremes of int64 and negative integers (meaning is for the reader to judge)', () => {
    const stats = decodeValue(colType('Interface', 'statistics'), ['map', [['a', -(2n ** 63n)], ['b', 2n ** 63n - 1n], ['c', -5]]]);
    expect({ ...(stats as object) }).toEqual({ a: -(2n ** 63n), b: 2n ** 63n - 1n, c: -5 });
  });

  it('the 64-bit parser keeps "__proto__" an own property, as JSON.parse does', () => {
    const v = parseJsonBigInt('{"__proto__":{"polluted":true},"n":12345678901234567890}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__', 'n']);
    expect(v.polluted).toBeUndefined();
  });
});
