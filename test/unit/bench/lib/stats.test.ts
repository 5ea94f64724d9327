import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deltas, extrapolate, percentile, summarize } from '../../../../bench/lib/stats.js';

describe('percentile', () => {
  it('uses the nearest rank, so the result is always a measured value', () => {
    const xs = [15, 20, 35, 40, 50];
    expect(percentile(xs, 0)).toBe(15);
    expect(percentile(xs, 30)).toBe(20);
    expect(percentile(xs, 40)).toBe(20);
    expect(percentile(xs, 50)).toBe(35);
    expect(percentile(xs, 100)).toBe(50);
  });

  it('does not depend on input order', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
  });

  it('p99 of 100 values is the 99th smallest', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 95)).toBe(95);
  });

  it('rejects an empty sample and a p outside 0..100', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(/outside/);
    expect(() => percentile([1], Number.NaN)).toThrow(/outside/);
  });

  it('is monotonic in p and bounded by min and max', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { minLength: 1 }), fc.integer({ min: 0, max: 99 }), (xs, p) => {
        const a = percentile(xs, p);
        const b = percentile(xs, p + 1);
        return a <= b && a >= Math.min(...xs) && b <= Math.max(...xs) && xs.includes(a);
      }),
    );
  });
});

describe('summarize', () => {
  it('reports count, min, mean, percentiles and max of a sample', () => {
    expect(summarize([4, 1, 3, 2])).toEqual({ count: 4, min: 1, mean: 2.5, p50: 2, p95: 4, p99: 4, max: 4 });
  });

  it('rejects an empty sample', () => {
    expect(() => summarize([])).toThrow(RangeError);
  });
});

describe('deltas', () => {
  it('turns completion stamps into per-item durations', () => {
    expect(deltas(100, [110, 125, 160])).toEqual([10, 15, 35]);
    expect(deltas(0, [])).toEqual([]);
  });
});

describe('extrapolate', () => {
  it('scales the measured time linearly to the full count', () => {
    expect(extrapolate(2000, 200, 1000)).toBe(10_000);
  });

  it('refuses to extrapolate from nothing', () => {
    expect(() => extrapolate(10, 0, 5)).toThrow(RangeError);
  });
});
