import { describe, expect, it } from 'vitest';
import { OvsdbSchemaError } from '../../../../src/ovsdb/errors/ovsdb-schema-error.js';
import { parseDbSchema, tableSchema } from '../../../../src/ovsdb/schema/db-schema.js';
import { recordedVswitchSchema } from '../fixtures/recorded.js';

describe('parseDbSchema (Open_vSwitch schema recorded from ovsdb-server)', () => {
  const schema = parseDbSchema(recordedVswitchSchema());

  it('reads tables, root flags and indexes', () => {
    expect(schema.name).toBe('Open_vSwitch');
    expect(schema.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(tableSchema(schema, 'Open_vSwitch').isRoot).toBe(true);
    expect(tableSchema(schema, 'Bridge').indexes).toEqual([['name']]);
  });

  it('reads column types: scalars, optional, sets, maps, references, enums, integer ranges', () => {
    const col = (t: string, c: string) => tableSchema(schema, t).columns.get(c)!;
    expect(col('Bridge', 'name').type).toEqual({ key: { type: 'string' }, min: 1, max: 1 });
    expect(col('Bridge', 'name').mutable).toBe(false);
    expect(col('Bridge', 'ports').type).toMatchObject({ key: { type: 'uuid', refTable: 'Port', refType: 'strong' }, min: 0, max: Infinity });
    expect(col('Bridge', 'fail_mode').type).toMatchObject({ key: { type: 'string' }, min: 0, max: 1 });
    expect([...(col('Bridge', 'fail_mode').type.key.enum ?? [])].sort()).toEqual(['secure', 'standalone']);
    expect(col('Bridge', 'external_ids').type).toMatchObject({ key: { type: 'string' }, value: { type: 'string' }, max: Infinity });
    expect(col('Interface', 'ofport_request').type.key).toMatchObject({ type: 'integer', minInteger: 1, maxInteger: 65279 });
    expect(col('Interface', 'statistics').ephemeral).toBe(true);
  });

  it('names the missing table and rejects non-schemas', () => {
    expect(() => tableSchema(schema, 'Nope')).toThrow(/Open_vSwitch has no table Nope/);
    expect(() => parseDbSchema({ name: 'x' })).toThrow(OvsdbSchemaError);
    expect(() => parseDbSchema({ name: 'x', tables: { T: { columns: { c: { type: 'float' } } } } })).toThrow(/T\.c: unknown atomic type "float"/);
  });
});
