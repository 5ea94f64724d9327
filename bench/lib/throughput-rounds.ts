import type { Iperf3Outcome, Iperf3Result } from './iperf3.js';
import { percentile } from './stats.js';

/**
 * The order the configurations run in round `round` (0-based): as given in
 * even rounds, reversed in odd ones, so no configuration always runs first
 * (or always right after another one) on a machine whose load drifts.
 */
export function roundOrder<T>(configs: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...configs] : [...configs].reverse();
}

/** One configuration and protocol over all rounds. */
export interface OutcomeSummary {
  readonly rounds: number;
  readonly ok: number;
  /** Distinct reasons of the failed rounds, in order of first appearance. */
  readonly errors: readonly string[];
  /** Receiver throughput of each successful round (bit/s), in round order. */
  readonly receivedBps: readonly number[];
  /** Nearest-rank medians over the successful rounds; absent when none succeeded. */
  readonly medianBps?: number;
  readonly medianRetransmits?: number;
  readonly medianLostPercent?: number;
  readonly medianSenderCpuPercent?: number;
  readonly medianReceiverCpuPercent?: number;
}

function median(values: readonly (number | undefined)[]): number | undefined {
  const v = values.filter((x): x is number => x !== undefined);
  return v.length === 0 ? undefined : percentile(v, 50);
}

/** Medians of the rounds that succeeded, and why the others did not. */
export function summarizeOutcomes(outcomes: readonly Iperf3Outcome[]): OutcomeSummary {
  const ok: Iperf3Result[] = [];
  const errors: string[] = [];
  for (const o of outcomes) {
    if (o.ok) ok.push(o.result);
    else if (!errors.includes(o.error)) errors.push(o.error);
  }
  const out: Record<string, unknown> = {
    rounds: outcomes.length,
    ok: ok.length,
    errors,
    receivedBps: ok.map((r) => r.receivedBps),
    medianBps: median(ok.map((r) => r.receivedBps)),
    medianRetransmits: median(ok.map((r) => r.retransmits)),
    medianLostPercent: median(ok.map((r) => r.lostPercent)),
    medianSenderCpuPercent: median(ok.map((r) => r.senderCpuPercent)),
    medianReceiverCpuPercent: median(ok.map((r) => r.receiverCpuPercent)),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as unknown as OutcomeSummary;
}

/**
 * a / b for each round in which both succeeded (paired in time: the two ran
 * seconds apart), in round order.
 */
export function pairedRatios(a: readonly Iperf3Outcome[], b: readonly Iperf3Outcome[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x?.ok && y?.ok && y.result.receivedBps > 0) out.push(x.result.receivedBps / y.result.receivedBps);
  }
  return out;
}
