import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';

/** Ports plugged or removed since the last collection that make one worth it (a burst, not one attach). */
export const SETTLE_MIN_CHANGES = 64;
/** Quiet time after the last pass before collecting: never in the middle of a burst. */
export const SETTLE_QUIET_MS = 1000;

export interface HeapSettleReport {
  readonly changes: number;
  readonly durationMs: number;
  readonly heapUsedBefore: number;
  readonly heapUsedAfter: number;
}

export interface HeapSettlerOptions {
  readonly minChanges?: number;
  readonly quietMs?: number;
  /** The collector; default: V8's, exposed at run time (undefined when it cannot be). */
  readonly gc?: (() => void) | undefined;
  readonly onSettle?: (r: HeapSettleReport) => void;
  /** Before collecting: drop caches worth less than their memory once the burst is over. */
  readonly beforeCollect?: () => void;
}

/**
 * V8's own collector, callable from the program: `--expose-gc` given on the
 * command line, else set now (V8 reads the flag when a context is made).
 * Undefined when neither works.
 */
export function exposedGc(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    setFlagsFromString('--expose-gc');
    const fn: unknown = runInNewContext('gc');
    return typeof fn === 'function' ? (fn as () => void) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * After a burst, a full collection once the agent has been quiet for a
 * moment. A pass over 1000 ports leaves far more garbage than live data
 * (about 27 MiB live at 1000 ports, 70–80 MiB of heap in use before the
 * collector runs on its own schedule), and V8 grows the heap to fit it and
 * keeps it: the resident set then shows garbage, not state. Collecting
 * when the work is done (two collections, tens of milliseconds, off the
 * attach path) returns it. Single attaches never trigger it: V8's own young-generation
 * collections handle them.
 */
export class HeapSettler {
  private readonly minChanges: number;
  private readonly quietMs: number;
  private readonly gc: (() => void) | undefined;
  private pending = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly o: HeapSettlerOptions = {}) {
    this.minChanges = o.minChanges ?? SETTLE_MIN_CHANGES;
    this.quietMs = o.quietMs ?? SETTLE_QUIET_MS;
    this.gc = 'gc' in o ? o.gc : exposedGc();
  }

  /** Whether a collector is available (false: notes are counted, nothing is collected). */
  get active(): boolean {
    return this.gc !== undefined;
  }

  /** After each pass: the ports it plugged or removed. Any pass restarts the quiet wait. */
  note(changes: number): void {
    if (this.stopped || this.gc === undefined) return;
    this.pending += Math.max(0, changes);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending < this.minChanges) return;
    this.timer = setTimeout(() => this.settle(), this.quietMs);
    this.timer.unref();
  }

  /** After the first full pass (adopting every port in place is a burst of its own): one collection once quiet. */
  afterStart(): void {
    this.note(Math.max(0, this.minChanges - this.pending));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private settle(): void {
    this.timer = undefined;
    const gc = this.gc;
    if (this.stopped || gc === undefined) return;
    const changes = this.pending;
    this.pending = 0;
    const before = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    this.o.beforeCollect?.();
    // Twice: the first collection frees the garbage and finds the fragmented pages, the second moves
    // what lives on them and returns them (the heap V8 keeps shrinks to what is live; one collection
    // alone left 10-20 MiB of half-empty pages at 1000 ports).
    gc();
    gc();
    const durationMs = performance.now() - t0;
    this.o.onSettle?.({ changes, durationMs, heapUsedBefore: before, heapUsedAfter: process.memoryUsage().heapUsed });
  }
}
