import { describe, expect, it } from 'vitest';
import { formatBitrate } from '../../../../bench/lib/format.js';

describe('formatBitrate', () => {
  it.each([
    [18_143_527_772, '18.1 Gbit/s'],
    [2_890_603_301, '2.89 Gbit/s'],
    [426_000_000, '426 Mbit/s'],
    [42_600_000, '42.6 Mbit/s'],
    [1_000_000_000, '1.00 Gbit/s'],
    [512_000, '512 kbit/s'],
  ])('%d bit/s is %s', (bps, text) => {
    expect(formatBitrate(bps)).toBe(text);
  });

  it('says n/a when there is no figure', () => {
    expect(formatBitrate(undefined)).toBe('n/a');
    expect(formatBitrate(Number.NaN)).toBe('n/a');
  });
});
