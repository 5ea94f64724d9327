/** Exponential backoff delays: first, first*2, ... capped at `maxMs` per step. */
export function backoffDelay(attempt: number, firstMs: number, maxMs: number): number {
  return Math.min(maxMs, firstMs * 2 ** Math.min(attempt, 30));
}
