import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PersistentMap } from '../../../../src/ovsdb/data/persistent-map.js';

type Op = { kind: 'set'; key: string; value: number } | { kind: 'delete'; key: string } | { kind: 'build' };

// Small key alphabets force deep tries and shared prefixes; the reference is a plain Map.
const keyArb = fc.oneof(fc.string({ maxLength: 3 }), fc.uuid(), fc.constantFrom('a', 'b', 'c', ''));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: keyArb, value: fc.integer() }),
  fc.record({ kind: fc.constant('delete' as const), key: keyArb }),
  fc.constant({ kind: 'build' as const }),
);

function sorted(m: ReadonlyMap<string, number>): [string, number][] {
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

describe('PersistentMap', () => {
  it('behaves like a Map under any sequence of sets and deletes, through the map and through a builder', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
        const ref = new Map<string, number>();
        let pm = PersistentMap.empty<number>();
        const b = PersistentMap.empty<number>().builder();
        const snapshots: [PersistentMap<number>, [string, number][]][] = [];
        for (const op of ops) {
          if (op.kind === 'set') {
            ref.set(op.key, op.value);
            pm = pm.set(op.key, op.value);
            b.set(op.key, op.value);
          } else if (op.kind === 'delete') {
            ref.delete(op.key);
            pm = pm.delete(op.key);
            b.delete(op.key);
          } else {
            snapshots.push([b.build(), sorted(ref)]);
          }
          expect(pm.size).toBe(ref.size);
          expect(b.size).toBe(ref.size);
        }
        expect(sorted(pm)).toEqual(sorted(ref));
        expect(sorted(b.build())).toEqual(sorted(ref));
        for (const [k, v] of ref) expect(pm.get(k)).toBe(v);
        // Snapshots taken from the builder never change afterwards.
        for (const [snap, want] of snapshots) {
          expect(sorted(snap)).toEqual(want);
          expect(snap.size).toBe(want.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps old versions intact and returns the same map for a no-op change', () => {
    const a = PersistentMap.from(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i] as const));
    const b = a.set('k1', -1).delete('k2');
    expect(a.get('k1')).toBe(1);
    expect(a.get('k2')).toBe(2);
    expect(b.get('k1')).toBe(-1);
    expect(b.has('k2')).toBe(false);
    expect(b.size).toBe(4999);
    expect(a.set('k3', 3)).toBe(a);
    expect(a.delete('absent')).toBe(a);
  });
});
