import { describe, expect, it } from 'vitest';
import { latencyTable, medianPhase, ovnRatios, ratiosPerRound, ratiosTable, roundOrder, type OvnContender, type OvnPhase } from '../../../../../bench/lib/ovn/report.js';

function phase(contender: OvnContender, round: number, totalMs: number, latencyMs: number[] = [totalMs], nbEntries?: number): OvnPhase {
  return { contender, round, hosts: 3, n: 1, latencyMs, totalMs, nbEntries, sbEntries: undefined, extra: {}, verified: [] };
}

describe('bench/ovn report', () => {
  it('rotates the order each round so no contender is always first', () => {
    const c = ['a', 'b', 'c'];
    expect(roundOrder(c, 0)).toEqual(['a', 'b', 'c']);
    expect(roundOrder(c, 1)).toEqual(['b', 'c', 'a']);
    expect(roundOrder(c, 3)).toEqual(['a', 'b', 'c']);
    expect(roundOrder([], 2)).toEqual([]);
  });

  it('reports the round with the median burst total (the lower of an even count)', () => {
    expect(medianPhase([phase('nsvswitch', 0, 30), phase('nsvswitch', 1, 10), phase('nsvswitch', 2, 20)])?.round).toBe(2);
    expect(medianPhase([phase('nsvswitch', 0, 30), phase('nsvswitch', 1, 10)])?.round).toBe(1);
    expect(medianPhase([])).toBeUndefined();
  });

  it('puts the scripted route over nsvswitch and nsvswitch over each floor, on totals and per-workload p50', () => {
    const r = ovnRatios({
      nsvswitch: phase('nsvswitch', 0, 1500, [100, 200, 300]),
      scripted: phase('scripted', 0, 30_000, [1000, 4000, 9000]),
      'floor-interface': phase('floor-interface', 0, 1000, [50, 100, 100]),
      'floor-lsp': phase('floor-lsp', 0, 3000, [400, 400, 400]),
    });
    expect(r.scriptedOverNsvswitchTotal).toBe(20);
    expect(r.scriptedOverNsvswitchP50).toBe(20);
    expect(r.nsvswitchOverFloorInterfaceTotal).toBe(1.5);
    expect(r.nsvswitchOverFloorInterfaceP50).toBe(2);
    expect(r.nsvswitchOverFloorLspTotal).toBe(0.5);
    expect(r.nsvswitchOverFloorLspP50).toBe(0.5);
  });

  it('has no ratio where a side is missing, and judges the goals (≥10x, ≤1.5x)', () => {
    const r = ovnRatios({ nsvswitch: phase('nsvswitch', 0, 100), 'floor-interface': phase('floor-interface', 0, 50) });
    expect(r.scriptedOverNsvswitchTotal).toBeUndefined();
    const t = ratiosTable(r, [r]);
    const row = (prefix: string): readonly string[] | undefined => t.rows.find((x) => x[0]!.startsWith(prefix));
    expect(row('scripted / nsvswitch, burst total')?.[3]).toBe('n/a');
    expect(row('nsvswitch / floor (Interface last), burst total')?.slice(1, 4)).toEqual(['2.00x', '≤ 1.5x', 'missed']);
  });

  it('pairs the ratios within each round', () => {
    const per = ratiosPerRound([phase('nsvswitch', 0, 100), phase('scripted', 0, 2000), phase('nsvswitch', 1, 200), phase('scripted', 1, 1000)]);
    expect(per.map((r) => r.scriptedOverNsvswitchTotal)).toEqual([20, 5]);
  });

  it('shows per-workload figures and every round\'s total in the latency table', () => {
    const all = [phase('scripted', 0, 9000, [3000, 6000, 9000], 15), phase('scripted', 1, 6000, [6000, 6000, 6000], 12)];
    const t = latencyTable({ scripted: all[1] }, all, 3, 1);
    expect(t.rows).toHaveLength(1);
    expect(t.rows[0]!.slice(1)).toEqual(['6000 ms', '6000 ms', '6000 ms', '6000 ms', '2000 ms', '4.0', 'n/a', '9000 ms, 6000 ms']);
  });
});
