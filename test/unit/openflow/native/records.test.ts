import { describe, expect, it } from 'vitest';
import { forEachRecord, type RecordLayout } from '../../../../src/openflow/native/records.js';

const ACTIONS: RecordLayout = { what: 'action', lengthAt: 2, minLength: 8 };

function record(type: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  b.writeUInt16BE(type, 0);
  b.writeUInt16BE(len, 2);
  return b;
}

const walk = (b: Buffer, from = 0, layout = ACTIONS): number[] => {
  const seen: number[] = [];
  forEachRecord(b, from, layout, (r) => seen.push(r.readUInt16BE(0), r.length));
  return seen;
};

describe('forEachRecord', () => {
  it('hands each length-prefixed record to the callback, from the given offset', () => {
    expect(walk(Buffer.concat([record(1, 8), record(2, 16)]))).toEqual([1, 8, 2, 16]);
    expect(walk(Buffer.concat([Buffer.alloc(16), record(3, 8)]), 16)).toEqual([3, 8]);
    expect(walk(Buffer.alloc(0))).toEqual([]);
  });

  it('reads the length where the layout says (flow updates carry it first)', () => {
    const b = Buffer.alloc(8);
    b.writeUInt16BE(8, 0);
    b.writeUInt16BE(5, 2);
    const lengths: number[] = [];
    forEachRecord(b, 0, { what: 'flow update', lengthAt: 0, minLength: 8 }, (r) => lengths.push(r.length));
    expect(lengths).toEqual([8]);
  });

  it('refuses truncated records and lengths out of bounds, naming the record', () => {
    expect(() => walk(Buffer.alloc(2))).toThrow('truncated action');
    expect(() => walk(record(1, 4))).toThrow('action length 4');
    expect(() => walk(Buffer.alloc(8))).toThrow('action length 0');
    const long = record(1, 16).subarray(0, 8);
    expect(() => walk(long)).toThrow('action length 16');
    const odd = Buffer.alloc(12);
    odd.writeUInt16BE(12, 2);
    expect(() => walk(odd)).toThrow('action length 12');
    expect(() => walk(Buffer.alloc(8), 0, { what: 'flow stats entry', lengthAt: 0, minLength: 32, headerLength: 32 })).toThrow('truncated flow stats entry');
  });
});
