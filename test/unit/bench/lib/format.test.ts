import { describe, expect, it } from 'vitest';
import { formatMiB, formatMs, formatRatio, ratio } from '../../../../bench/lib/format.js';

describe('ratio', () => {
  it('divides two measured times', () => {
    expect(ratio(970, 97)).toBe(10);
  });

  it('has no value when a side is missing, not finite, or the divisor is not positive', () => {
    expect(ratio(undefined, 1)).toBeUndefined();
    expect(ratio(1, undefined)).toBeUndefined();
    expect(ratio(1, 0)).toBeUndefined();
    expect(ratio(1, -3)).toBeUndefined();
    expect(ratio(Number.POSITIVE_INFINITY, 1)).toBeUndefined();
  });
});

describe('formatRatio', () => {
  it.each([
    [0.5, '0.50x'],
    [1.234, '1.23x'],
    [9.994, '9.99x'],
    [12.34, '12.3x'],
    [99.9, '99.9x'],
    [123.4, '123x'],
    [undefined, 'n/a'],
    [Number.NaN, 'n/a'],
  ])('%s → %s', (r, text) => {
    expect(formatRatio(r)).toBe(text);
  });
});

describe('formatMs', () => {
  it.each([
    [0.123, '0.12 ms'],
    [6.04, '6.0 ms'],
    [97.26, '97.3 ms'],
    [1234.5, '1235 ms'],
    [undefined, 'n/a'],
  ])('%s → %s', (ms, text) => {
    expect(formatMs(ms)).toBe(text);
  });
});

describe('formatMiB', () => {
  it('prints bytes as MiB with one decimal', () => {
    expect(formatMiB(150 * 1024 * 1024)).toBe('150.0 MiB');
    expect(formatMiB(undefined)).toBe('n/a');
  });
});
