import { describe, expect, it } from 'vitest';
import { rowModel } from '../../../../src/ovsdb/data/row-model.js';
import { optNum, str, strs } from '../../../../src/ovsdb/data/narrow-values.js';

describe('rowModel', () => {
  const model = rowModel({ name: str, ports: strs, ofport: optNum });

  it('lists the columns to monitor in the order given', () => {
    expect(model.columns).toEqual(['name', 'ports', 'ofport']);
  });

  it('reads each column with its reader, defaults filled in, other columns left out', () => {
    expect(model.toRow({ _uuid: 'u1', name: 'br0', ports: ['p1', 'p2'], ofport: 3, extra: 'x' })).toEqual({ _uuid: 'u1', name: 'br0', ports: ['p1', 'p2'], ofport: 3 });
    expect(model.toRow({ _uuid: 'u2' })).toEqual({ _uuid: 'u2', name: '', ports: [], ofport: undefined });
  });
});
