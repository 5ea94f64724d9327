/**
 * Exponential backoff, the one formula every retry loop uses: attempt 0
 * waits `firstMs`, then doubling, capped at `maxMs` per step.
 */
export function backoffDelay(attempt: number, firstMs: number, maxMs: number): number {
  return Math.min(maxMs, firstMs * 2 ** Math.min(Math.max(attempt, 0), 30));
}
