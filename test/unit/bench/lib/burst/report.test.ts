import { describe, expect, it } from 'vitest';
import { agentBreakdownTable, burstRatios, burstRatiosTable, burstTimesTable, type BurstRun } from '../../../../../bench/lib/burst/report.js';
import type { ContenderOk } from '../../../../../bench/lib/burst/types.js';

function ok(contender: ContenderOk['contender'], totalMs: number, extra: Partial<ContenderOk> = {}): ContenderOk {
  return {
    contender, status: 'ok', n: 100, measuredN: 100, extrapolated: false, totalMs, perNsMs: totalMs / 100,
    stages: {}, verified: { spotChecked: 5, portsAttached: 100 }, notes: [], ...extra,
  };
}

describe('burstRatios', () => {
  it('states the goals as ratios of total times', () => {
    const r = burstRatios({ peer: ok('peer', 9700), floor: ok('floor', 600), nsvswitch: ok('nsvswitch', 800, { creationMs: 300, beyondCreationMs: 500 }) });
    expect(r.peerOverNsvswitch).toBeCloseTo(12.125);
    expect(r.nsvswitchOverFloor).toBeCloseTo(1.3333);
    expect(r.nsvswitchBeyondCreationOverFloor).toBeCloseTo(0.8333);
    expect(r.peerOverFloor).toBeCloseTo(16.1667);
  });

  it('puts the agent on the process path beside its in-process default', () => {
    const r = burstRatios({ nsvswitch: ok('nsvswitch', 500), 'nsvswitch-process': ok('nsvswitch-process', 1500) });
    expect(r.processOverNative).toBeCloseTo(3);
  });

  it('states both goals again for the agent whose namespaces existed before the clock started (bound)', () => {
    const r = burstRatios({ peer: ok('peer', 9000), floor: ok('floor', 600), 'nsvswitch-bind': ok('nsvswitch-bind', 200) });
    expect(r.peerOverBound).toBeCloseTo(45);
    expect(r.boundOverFloor).toBeCloseTo(0.3333);
    expect(r.peerOverNsvswitch).toBeUndefined();
  });

  it('leaves out every ratio that involves a failed contender', () => {
    const r = burstRatios({ peer: ok('peer', 9700), floor: ok('floor', 600), nsvswitch: { contender: 'nsvswitch', status: 'failed', n: 100, reason: 'agent exited' } });
    expect(r).toEqual({ peerOverFloor: 9700 / 600 });
  });
});

describe('burst tables', () => {
  const runs: BurstRun[] = [
    {
      n: 100,
      outcomes: {
        peer: ok('peer', 20_000, { n: 1000, measuredN: 200, extrapolated: true, perNsMs: 20 }),
        nsvswitch: { contender: 'nsvswitch', status: 'failed', n: 100, reason: 'agent exited (code 70)' },
      },
      ratios: {},
    },
  ];

  it('shows extrapolation and failures in the detail column', () => {
    const t = burstTimesTable(runs);
    expect(t.rows[0]?.[4]).toContain('200 measured, extrapolated to 1000');
    expect(t.rows[1]).toEqual(['100', 'nsvswitch', 'n/a', 'n/a', 'failed: agent exited (code 70)']);
  });

  it('prints n/a for ratios that could not be measured', () => {
    expect(burstRatiosTable(runs).rows[0]).toEqual(['100', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a']);
  });
});

describe('failure reasons in the table', () => {
  it('are cut to one readable cell; the JSON keeps the full reason', () => {
    const reason = 'x'.repeat(500);
    const t = burstTimesTable([{ n: 1, outcomes: { floor: { contender: 'floor', status: 'failed', n: 1, reason } }, ratios: {} }]);
    const cell = t.rows[0]?.[4] ?? '';
    expect(cell.length).toBeLessThanOrEqual('failed: '.length + 160);
    expect(cell.endsWith('...')).toBe(true);
  });
});

describe('agentBreakdownTable', () => {
  it('puts one column per N and one row per metric, whole numbers as integers', () => {
    const run = (n: number, m: Record<string, number>): BurstRun => ({ n, outcomes: { nsvswitch: ok('nsvswitch', 1, { agentMetrics: m }) }, ratios: {} });
    const t = agentBreakdownTable([run(100, { 'OVSDB writes': 3, 'reconcile time (s)': 0.4567 }), run(1000, { 'OVSDB writes': 9 })]);
    expect(t?.headers).toEqual(['metric', 'N=100', 'N=1000']);
    expect(t?.rows).toEqual([
      ['OVSDB writes', '3', '9'],
      ['reconcile time (s)', '0.457', 'n/a'],
    ]);
  });

  it('is absent when nsvswitch did not run or exposed no metrics', () => {
    expect(agentBreakdownTable([{ n: 1, outcomes: {}, ratios: {} }])).toBeUndefined();
  });
});
