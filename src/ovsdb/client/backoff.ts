/** Exponential backoff with jitter: attempt 0 waits about minMs, then doubling up to maxMs (a restarting server is not stampeded). */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(base / 2 + (random() * base) / 2);
}
