import { describe, expect, it } from 'vitest';
import { medianOutcome, roundSchedule } from '../../../../../bench/lib/burst/rounds.js';
import type { ContenderOk } from '../../../../../bench/lib/burst/types.js';

function ok(totalMs: number, spot = 5): ContenderOk {
  return {
    contender: 'floor', status: 'ok', n: 10, measuredN: 10, extrapolated: false, totalMs, perNsMs: totalMs / 10,
    stages: {}, verified: { spotChecked: spot, portsAttached: 10 }, notes: [],
  };
}

describe('roundSchedule', () => {
  it('alternates the order each round and runs the peer only in its first rounds', () => {
    expect(roundSchedule(['peer', 'floor', 'nsvswitch'], 3, 1).map((s) => `${s.round}:${s.contender}`)).toEqual([
      '0:peer', '0:floor', '0:nsvswitch',
      '1:nsvswitch', '1:floor',
      '2:floor', '2:nsvswitch',
    ]);
  });

  it('runs each contender once with one round', () => {
    expect(roundSchedule(['floor', 'peer'], 1, 1)).toEqual([{ round: 0, contender: 'floor' }, { round: 0, contender: 'peer' }]);
  });
});

describe('medianOutcome', () => {
  it('reports the median round and keeps every round total in run order', () => {
    const o = medianOutcome([ok(300, 1), ok(100, 2), ok(200, 3)]);
    expect(o?.status).toBe('ok');
    expect((o as ContenderOk).totalMs).toBe(200);
    expect((o as ContenderOk).verified.spotChecked).toBe(3);
    expect((o as ContenderOk).roundsTotalMs).toEqual([300, 100, 200]);
  });

  it('takes the lower middle of an even count', () => {
    expect((medianOutcome([ok(400), ok(100), ok(300), ok(200)]) as ContenderOk).totalMs).toBe(200);
  });

  it('fails the contender when any round failed', () => {
    const failed = { contender: 'floor' as const, status: 'failed' as const, n: 10, reason: 'result check failed' };
    expect(medianOutcome([ok(100), failed, ok(90)])).toBe(failed);
  });

  it('leaves a single round as it is and has nothing for no rounds', () => {
    expect(medianOutcome([ok(50)])).toEqual(ok(50));
    expect(medianOutcome([])).toBeUndefined();
  });
});
