import { describe, expect, it } from 'vitest';
import { benchSize, quickMode } from '../../../../bench/lib/quick.js';

describe('quickMode', () => {
  it('is on with the flag or NSVS_BENCH_QUICK=1, off otherwise', () => {
    expect(quickMode(true, {})).toBe(true);
    expect(quickMode(false, { NSVS_BENCH_QUICK: '1' })).toBe(true);
    expect(quickMode(undefined, { NSVS_BENCH_QUICK: 'true' })).toBe(true);
    expect(quickMode(false, { NSVS_BENCH_QUICK: '0' })).toBe(false);
    expect(quickMode(undefined, {})).toBe(false);
  });
});

describe('benchSize', () => {
  const d = { full: 1000, quick: 50 };
  it('takes the explicit flag over either default', () => {
    expect(benchSize('7', true, d)).toBe(7);
  });
  it('falls back to the quick or the full default', () => {
    expect(benchSize(undefined, true, d)).toBe(50);
    expect(benchSize(undefined, false, d)).toBe(1000);
  });
  it('rejects anything but a positive integer, naming the flag', () => {
    expect(() => benchSize('0', false, d, '--rounds')).toThrow(/--rounds/);
    expect(() => benchSize('1e3', false, d)).toThrow(/--n/);
  });
});
