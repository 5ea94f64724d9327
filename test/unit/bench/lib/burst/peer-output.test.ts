import { describe, expect, it } from 'vitest';
import { epochRealtimeMs, parsePeerStamps } from '../../../../../bench/lib/burst/peer-output.js';

describe('epochRealtimeMs', () => {
  it('keeps microsecond precision of a current epoch stamp', () => {
    expect(epochRealtimeMs('1700000000.123456')).toBe(1_700_000_000_123.456);
    expect(epochRealtimeMs('1700000001.5') - epochRealtimeMs('1700000000.25')).toBeCloseTo(1250, 6);
  });

  it('rejects a locale-formatted or malformed stamp', () => {
    expect(() => epochRealtimeMs('1700000000,123456')).toThrow(/EPOCHREALTIME/);
    expect(() => epochRealtimeMs('')).toThrow();
  });
});

describe('parsePeerStamps', () => {
  it('reads the start, each completion and leftovers', () => {
    const out = 'start 100.000000\ndone 100.080000\ndone 100.200000\nleftover /var/run/netns/123\n';
    const s = parsePeerStamps(out);
    expect(s.startMs).toBe(100_000);
    expect(s.doneMs.map((d) => Math.round(d - s.startMs))).toEqual([80, 200]);
    expect(s.leftovers).toEqual(['/var/run/netns/123']);
  });

  it('fails when the loop never started', () => {
    expect(() => parsePeerStamps('done 1.0\n')).toThrow(/no start stamp/);
  });
});
