import { describe, expect, it } from 'vitest';
import type { Iperf3Outcome } from '../../../../bench/lib/iperf3.js';
import { pairedRatios, roundOrder, summarizeOutcomes } from '../../../../bench/lib/throughput-rounds.js';

const tcp = (bps: number, retransmits?: number): Iperf3Outcome => ({ ok: true, result: { protocol: 'TCP', seconds: 5, receivedBps: bps, receivedBytes: bps * 5 / 8, sentBps: bps, ...(retransmits !== undefined ? { retransmits } : {}) } });
const failed = (error: string): Iperf3Outcome => ({ ok: false, error });

describe('roundOrder', () => {
  it('alternates the order from round to round', () => {
    expect(roundOrder(['floor', 'nsvswitch', 'tso'], 0)).toEqual(['floor', 'nsvswitch', 'tso']);
    expect(roundOrder(['floor', 'nsvswitch', 'tso'], 1)).toEqual(['tso', 'nsvswitch', 'floor']);
    expect(roundOrder(['floor', 'nsvswitch', 'tso'], 2)).toEqual(['floor', 'nsvswitch', 'tso']);
  });
});

describe('summarizeOutcomes', () => {
  it('takes nearest-rank medians of the successful rounds and keeps every round\'s figure', () => {
    expect(summarizeOutcomes([tcp(3e9, 10), tcp(1e9, 30), tcp(2e9, 20)])).toEqual({
      rounds: 3, ok: 3, errors: [], receivedBps: [3e9, 1e9, 2e9], medianBps: 2e9, medianRetransmits: 20,
    });
  });

  it('counts failed rounds and lists each distinct reason once', () => {
    const s = summarizeOutcomes([failed('unable to connect'), tcp(1e9), failed('unable to connect'), failed('no output from iperf3')]);
    expect(s).toMatchObject({ rounds: 4, ok: 1, errors: ['unable to connect', 'no output from iperf3'], medianBps: 1e9 });
  });

  it('has no median when no round succeeded', () => {
    const s = summarizeOutcomes([failed('x')]);
    expect(s.medianBps).toBeUndefined();
    expect(s.receivedBps).toEqual([]);
  });
});

describe('pairedRatios', () => {
  it('divides round by round, skipping rounds where either side failed', () => {
    expect(pairedRatios([tcp(1e9), tcp(2e9), failed('x')], [tcp(4e9), failed('y'), tcp(1e9)])).toEqual([0.25]);
    expect(pairedRatios([tcp(1e9), tcp(3e9)], [tcp(2e9), tcp(3e9)])).toEqual([0.5, 1]);
  });
});
