// One home for how a runtime source tells its API's health: connected or not, since when, why not,
// whether a full listing was ever read, and the backoff before the next try. The Docker and CRI
// sources differ in how they list and watch; this part they share.
import type { Logger } from '../observe/logger.js';
import { backoffDelay } from '../reconcile/backoff.js';
import { RuntimeApiError } from './errors/runtime-api-error.js';
import type { RuntimeSourceOptions, WorkloadInfo, WorkloadSourceState } from './types.js';

export type LinkHealthOptions = Pick<RuntimeSourceOptions, 'now' | 'retryMinMs' | 'retryMaxMs'>;

export class LinkHealth {
  connected = false;
  /** A full listing has been read since the source started (metadata known, maybe stale while down). */
  synced = false;
  error: string | undefined = 'not connected yet';
  sinceMs: number;
  private attempt = 0;
  private readonly now: () => number;

  constructor(private readonly runtime: string, private readonly o: LinkHealthOptions = {}) {
    this.now = o.now ?? Date.now;
    this.sinceMs = this.now();
  }

  /**
   * A full listing was read: connected from now. Returns whether this was a
   * reconnection (a listing had been read before), or undefined when it was connected already.
   */
  up(): { reconnected: boolean } | undefined {
    if (this.connected && this.synced) return undefined;
    const reconnected = this.synced;
    this.connected = true;
    this.synced = true;
    this.error = undefined;
    this.sinceMs = this.now();
    this.attempt = 0;
    return { reconnected };
  }

  /**
   * The API failed: not connected (since now, if it was), why (the error's message), and how long to wait
   * before the next try (growing). `loud` is true for the first failure of an outage: warn once, then debug.
   */
  down(err: unknown): { message: string; delayMs: number; loud: boolean } {
    const message = err instanceof RuntimeApiError ? err.message : `${this.runtime} API: ${err instanceof Error ? err.message : String(err)}`;
    const wasConnected = this.connected;
    if (this.connected) {
      this.connected = false;
      this.sinceMs = this.now();
    }
    this.error = message;
    const delayMs = backoffDelay(this.attempt++, this.o.retryMinMs ?? 250, this.o.retryMaxMs ?? 30_000);
    return { message, delayMs, loud: wasConnected || this.attempt === 1 };
  }

  /**
   * `down`, with its log line: a warning on the first failure of an outage (`outage.warning`, with what is
   * known so far), debug after that (`outage.quiet`). Returns the delay before the next try, ms.
   */
  downLogged(err: unknown, log: Logger, outage: { readonly warning: string; readonly quiet: string; readonly known: Readonly<Record<string, number>> }): number {
    const { message, delayMs, loud } = this.down(err);
    if (loud) log.warn({ err: message, retryInMs: delayMs, ...outage.known }, outage.warning);
    else log.debug({ err: message, retryInMs: delayMs }, outage.quiet);
    return delayMs;
  }

  /** The source's state to emit, with these workloads. */
  state(workloads: ReadonlyMap<string, WorkloadInfo>): WorkloadSourceState {
    const runtime = this.runtime;
    return { runtime, connected: this.connected, synced: this.synced, ...(this.error !== undefined ? { error: this.error } : {}), sinceMs: this.sinceMs, workloads };
  }
}
