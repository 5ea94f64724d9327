import type { ContenderName, ContenderOk, ContenderOutcome } from './types.js';

/**
 * Run order over rounds: contenders alternate direction each round so that
 * load drifting during a run does not always favour the same one; the peer
 * (minutes at N=1000) only takes part in its first `peerRounds` rounds.
 */
export function roundSchedule(chosen: readonly ContenderName[], rounds: number, peerRounds: number): { round: number; contender: ContenderName }[] {
  const out: { round: number; contender: ContenderName }[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? chosen : [...chosen].reverse();
    for (const contender of order) if (contender !== 'peer' || round < peerRounds) out.push({ round, contender });
  }
  return out;
}

/**
 * One outcome per contender from its rounds: a failure in any round fails it
 * (a contender that is sometimes broken must not be reported by its good
 * rounds); otherwise the round with the median total (the lower one of an
 * even count), carrying every round's total.
 */
export function medianOutcome(outcomes: readonly ContenderOutcome[]): ContenderOutcome | undefined {
  const failed = outcomes.find((o) => o.status === 'failed');
  if (failed) return failed;
  const ok = (outcomes as readonly ContenderOk[]).slice().sort((a, b) => a.totalMs - b.totalMs);
  const median = ok[Math.floor((ok.length - 1) / 2)];
  if (!median) return undefined;
  return ok.length > 1 ? { ...median, roundsTotalMs: outcomes.map((o) => (o as ContenderOk).totalMs) } : median;
}
