import { filter, ignoreElements, type Observable } from 'rxjs';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import type { VswitchSnapshot } from '../ovsdb/index.js';
import { runCoalesced } from '../reconcile/run-coalesced.js';
import type { BridgeKeeper } from './bridge-keeper.js';
import { latch, type Latch } from './latch.js';
import { passOnInput, type AgentEvent, type PassInput, type Trigger } from './pass-input.js';
import type { PassSummary, Reconciler } from './reconciler.js';
import type { OwnedStateGate } from './sources/ovsdb-triggers.js';

/** Wait after a failed pass before the next try. */
export const PASS_RETRY_MS = 1000;

export interface PassLoopDeps {
  readonly reconciler: Reconciler;
  readonly bridge: BridgeKeeper;
  readonly bridgeName: string;
  readonly gate: OwnedStateGate;
  readonly snapshot: () => VswitchSnapshot;
  /** The folded input now. */
  readonly current: () => PassInput;
  /** Into the fold: stale keys taken and given back, follow-up passes, retries. */
  readonly dispatch: (ev: AgentEvent) => void;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Told after each pass how many ports it plugged or removed (a burst's garbage is collected once it is over). */
  readonly settler?: { note(changes: number): void; afterStart(): void };
}

/**
 * The passes: one at a time, the triggers that arrive meanwhile folded into
 * one follow-up, errors caught per pass and retried; a backlog continues at
 * once; failed namespaces are retried when their backoff ends.
 */
export class PassLoop {
  private started = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> = Promise.resolve();
  private firstPass: Latch | undefined;

  constructor(private readonly d: PassLoopDeps) {}

  /** Runs the passes the triggers ask for (none before start, none after stop). */
  run(triggers$: Observable<Trigger>): Observable<never> {
    return triggers$.pipe(
      filter(() => this.started && !this.stopped),
      runCoalesced(
        (batch) => {
          const p = this.runPass(batch);
          this.inflight = p.then(() => undefined, () => undefined);
          return p;
        },
        (err, batch) => {
          this.d.metrics.reconcileErrors.inc({ reason: 'pass' });
          this.d.logger.child({ bridge: this.d.bridgeName }).error({ err: err instanceof Error ? err.message : String(err), triggers: reasons(batch) }, 'reconcile pass failed; retrying');
          this.scheduleRetry(PASS_RETRY_MS);
        },
      ),
      ignoreElements(),
    );
  }

  /** The first full pass (adoption and garbage collection); resolves once a backlog it met is done too. */
  start(): Promise<void> {
    this.started = true;
    this.firstPass = latch();
    this.d.dispatch({ kind: 'trigger', trigger: { reason: 'start', full: true } });
    return this.firstPass.done;
  }

  /** No new passes; resolves when the one in flight is done. */
  stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    return this.inflight;
  }

  private async runPass(triggers: readonly Trigger[]): Promise<void> {
    const d = this.d;
    const { reconciler } = d;
    let batch = triggers;
    const t0 = performance.now();
    // OVSDB changes seen from here on are judged when the pass ends: its own writes ask for no pass of their own.
    d.gate.begin();
    let s: PassSummary;
    try {
      if (await d.bridge.heal()) {
        // Someone deleted our bridge: its flows are gone with it, and its ports' veths are still
        // in the kernel without rows: a full pass finds and replaces them.
        reconciler.invalidateFlows();
        batch = [...batch, { reason: 'ovsdb', full: true }];
      }
      s = await passOnInput(d.current, d.dispatch, (input) => reconciler.pass(batch, input));
    } catch (err) {
      if (d.gate.abort()) d.dispatch({ kind: 'trigger', trigger: { reason: 'ovsdb' } });
      throw err;
    }
    const end = d.snapshot();
    // Changes during a pass that left the state settled were its own writes (anyone else's would unsettle it):
    // no follow-up pass for them. Otherwise one, as for any change.
    if (d.gate.settle(end, reconciler.settledOn === end)) d.dispatch({ kind: 'trigger', trigger: { reason: 'ovsdb' } });
    if (s.deferred > 0) {
      // A backlog: the next chunk right after this pass. Ready (initial sync done) waits for the last chunk.
      d.dispatch({ kind: 'trigger', trigger: { reason: 'namespace' } });
    } else {
      if (this.firstPass) d.settler?.afterStart();
      this.firstPass?.open();
      this.firstPass = undefined;
    }
    if (s.plugged + s.removed + s.failed + s.deferred + s.markedReady + s.flowMods + s.nbWrites > 0) {
      d.logger.info({ bridge: d.bridgeName, ...s, durationMs: Math.round(performance.now() - t0), triggers: reasons(batch) }, 'reconcile pass');
    }
    d.settler?.note(s.plugged + s.removed);
    const next = reconciler.failures.nextRetryAt();
    if (next !== undefined) this.scheduleRetry(Math.max(10, next - Date.now()));
  }

  private scheduleRetry(inMs: number): void {
    if (this.stopped) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.d.dispatch({ kind: 'trigger', trigger: { reason: 'retry' } });
    }, inMs);
    this.retryTimer.unref();
  }
}

function reasons(batch: readonly Trigger[]): Trigger['reason'][] {
  return [...new Set(batch.map((t) => t.reason))];
}
