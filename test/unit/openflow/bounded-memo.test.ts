import { describe, expect, it } from 'vitest';
import { BoundedMap, boundedMemo, forgetMemos } from '../../../src/openflow/bounded-memo.js';
import { diffFlows, rememberedFlowKeys } from '../../../src/openflow/flow-diff.js';

describe('boundedMemo', () => {
  it('computes each key once while it is in use, and forgets what a whole generation did not use', () => {
    const calls: string[] = [];
    const upper = boundedMemo(2, (k) => {
      calls.push(k);
      return k.toUpperCase();
    });
    expect([upper('a'), upper('b'), upper('a')]).toEqual(['A', 'B', 'A']);
    expect(calls).toEqual(['a', 'b']);
    upper('c'); // current {a,b} full: it becomes the old generation, c starts a new one
    expect(upper('a')).toBe('A'); // found in the old generation, carried over: not computed again
    expect(calls).toEqual(['a', 'b', 'c']);
    upper('d'); // current {c,a} full: {a,b} dropped, b was not used for a generation
    upper('b');
    expect(calls).toEqual(['a', 'b', 'c', 'd', 'b']);
  });
});

describe('BoundedMap', () => {
  it('holds at most two generations of its bound, however many keys pass through', () => {
    const m = new BoundedMap<number>(100);
    for (let i = 0; i < 100_000; i++) m.set(`k${i}`, i);
    expect(m.size).toBeLessThanOrEqual(200);
    expect(m.get('k99999')).toBe(99_999);
    expect(m.get('k0')).toBeUndefined();
  });

  it('keeps a working set that fits its bound, while other keys churn past', () => {
    const m = new BoundedMap<number>(64);
    for (let i = 0; i < 32; i++) m.set(`hot${i}`, i);
    for (let round = 0; round < 1000; round++) {
      m.set(`cold${round}`, round);
      for (let i = 0; i < 32; i++) expect(m.get(`hot${i}`)).toBe(i);
    }
    expect(m.size).toBeLessThanOrEqual(128);
  });
});

describe('forgetMemos', () => {
  it('empties every memo of the process, the flow-key one included; a memo then works its values out again', () => {
    const calls: string[] = [];
    const upper = boundedMemo(100, (k) => {
      calls.push(k);
      return k.toUpperCase();
    });
    const m = new BoundedMap<number>(100);
    m.set('a', 1);
    upper('x');
    const flows = [{ table: 0, priority: 1, match: 'in_port=1', actions: 'drop', cookie: 1n }];
    diffFlows(flows, flows);
    expect(rememberedFlowKeys()).toBeGreaterThan(0);
    forgetMemos();
    expect(m.get('a')).toBeUndefined();
    expect(m.size).toBe(0);
    expect(rememberedFlowKeys()).toBe(0);
    expect(upper('x')).toBe('X');
    expect(calls).toEqual(['x', 'x']);
    // And the diff is still right after it.
    expect(diffFlows(flows, flows)).toEqual({ add: [], modify: [], del: [], duplicates: [] });
  });
});
