/** Summary of a sample of durations (ms), the way benchmark tables report latency. */
export interface Summary {
  readonly count: number;
  readonly min: number;
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * Nearest-rank percentile (p in 0..100) of a sample: always one of the
 * measured values, so a p99 is never an invented number between two runs.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty sample');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside 0..100`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** One pass over a sample for the columns every latency table shows. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError('summary of an empty sample');
  const sum = values.reduce((a, b) => a + b, 0);
  return {
    count: values.length,
    min: Math.min(...values),
    mean: sum / values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: Math.max(...values),
  };
}

/** Successive differences of increasing timestamps: per-item durations from a stream of "done" stamps. */
export function deltas(startMs: number, stampsMs: readonly number[]): number[] {
  const out: number[] = [];
  let prev = startMs;
  for (const s of stampsMs) {
    out.push(s - prev);
    prev = s;
  }
  return out;
}

/**
 * Linear extrapolation of a partial run to the full count. It assumes the
 * per-item cost stays constant, which under-estimates work whose per-item
 * cost grows with the number of items already done.
 */
export function extrapolate(measuredMs: number, measuredCount: number, fullCount: number): number {
  if (measuredCount <= 0) throw new RangeError('cannot extrapolate from zero items');
  return (measuredMs / measuredCount) * fullCount;
}
