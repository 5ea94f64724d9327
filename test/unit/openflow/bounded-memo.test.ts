import { describe, expect, it } from 'vitest';
import { boundedMemo } from '../../../src/openflow/bounded-memo.js';

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
