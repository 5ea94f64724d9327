import { describe, expect, it } from 'vitest';
import { BoundedMap, boundedMemo } from '../../../src/openflow/bounded-memo.js';

describe('boundedMemo', () => {
  it('computes each key once, and starts over once it holds its bound', () => {
    const calls: string[] = [];
    const upper = boundedMemo(2, (k) => {
      calls.push(k);
      return k.toUpperCase();
    });
    expect([upper('a'), upper('b'), upper('a')]).toEqual(['A', 'B', 'A']);
    expect(calls).toEqual(['a', 'b']);
    upper('c'); // full: forgets a and b
    upper('a');
    expect(calls).toEqual(['a', 'b', 'c', 'a']);
  });
});

describe('BoundedMap', () => {
  it('keeps what it is given until it holds its bound, then starts over', () => {
    const m = new BoundedMap<number>(2);
    m.set('a', 1);
    m.set('b', 2);
    expect([m.get('a'), m.get('b'), m.size]).toEqual([1, 2, 2]);
    m.set('c', 3); // full: forgets a and b
    expect([m.get('a'), m.get('b'), m.get('c'), m.size]).toEqual([undefined, undefined, 3, 1]);
  });
});
