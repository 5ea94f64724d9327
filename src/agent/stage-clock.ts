import type { Histogram } from 'prom-client';

/** The stages of a reconcile pass, in order (nsvswitch_reconcile_stage_seconds{stage}). */
export type PassStage = 'plan' | 'remove' | 'ovn-release' | 'gateways' | 'ovn-claim' | 'plug' | 'record' | 'ofports' | 'early-flows' | 'flows' | 'ready' | 'seal';

/**
 * Laps of one pass: each `lap(stage)` observes the time since the previous
 * lap (or the start) under that stage, so where a pass's wall time goes can
 * be read from /metrics. Stages that did not run are not observed; the few
 * synchronous steps between two laps count to the later one.
 */
export function stageClock(histogram: Histogram<'stage'>, now: () => number = () => performance.now()): (stage: PassStage) => void {
  let last = now();
  return (stage) => {
    const t = now();
    histogram.observe({ stage }, (t - last) / 1000);
    last = t;
  };
}
