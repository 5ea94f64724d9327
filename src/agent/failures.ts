import { backoffDelay } from '../reconcile/backoff.js';

/** First retry delay of a failing namespace; doubles per failure up to the max. */
export const RETRY_MIN_MS = 500;
export const RETRY_MAX_MS = 30_000;

export interface Failure {
  readonly reason: string;
  readonly message: string;
  readonly attempts: number;
  readonly sinceMs: number;
  readonly nextAtMs: number;
}

/** Per-namespace failures with exponential backoff, so one bad namespace is retried without blocking others. */
export class FailureBook {
  private readonly byKey = new Map<string, Failure>();

  /** `retryInMs`: a retry sooner than the backoff (a lost race, where the next try picks something else). */
  record(key: string, reason: string, message: string, nowMs: number, retryInMs?: number): Failure {
    const prev = this.byKey.get(key);
    const attempts = (prev?.attempts ?? 0) + 1;
    const delay = retryInMs ?? backoffDelay(attempts - 1, RETRY_MIN_MS, RETRY_MAX_MS);
    const f: Failure = { reason, message, attempts, sinceMs: prev?.sinceMs ?? nowMs, nextAtMs: nowMs + delay };
    this.byKey.set(key, f);
    return f;
  }

  clear(key: string): void {
    this.byKey.delete(key);
  }

  /** True while the key waits for its next retry. */
  waiting(key: string, nowMs: number): boolean {
    const f = this.byKey.get(key);
    return f !== undefined && f.nextAtMs > nowMs;
  }

  /** Earliest pending retry time, to schedule a pass. */
  nextRetryAt(): number | undefined {
    let min: number | undefined;
    for (const f of this.byKey.values()) if (min === undefined || f.nextAtMs < min) min = f.nextAtMs;
    return min;
  }

  /** Drops failures of keys that no longer exist. */
  retain(keys: ReadonlySet<string>): void {
    for (const k of this.byKey.keys()) if (!keys.has(k)) this.byKey.delete(k);
  }

  get(key: string): Failure | undefined {
    return this.byKey.get(key);
  }

  entries(): IterableIterator<[string, Failure]> {
    return this.byKey.entries();
  }
}
