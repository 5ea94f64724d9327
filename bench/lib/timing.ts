import { setTimeout as sleep } from 'node:timers/promises';

/** Monotonic milliseconds (never jumps with the wall clock). */
export function nowMs(): number {
  return performance.now();
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = nowMs();
  const value = await fn();
  return { ms: nowMs() - t0, value };
}

/** A bench step exceeded its time budget. */
export class BenchTimeoutError extends Error {
  constructor(readonly label: string, readonly timeoutMs: number) {
    super(`${label}: timed out after ${timeoutMs} ms`);
    this.name = 'BenchTimeoutError';
  }
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined, or the timeout. */
export async function pollUntil<T>(label: string, check: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 50): Promise<T> {
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (nowMs() > deadline) throw new BenchTimeoutError(label, timeoutMs);
    await sleep(intervalMs);
  }
}

/** Rejects with BenchTimeoutError when `p` takes longer than `timeoutMs`; the caller's finally still cleans up. */
export async function withTimeout<T>(label: string, p: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BenchTimeoutError(label, timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
