import type { Observation } from './observation.js';
import { backoffDelay } from '../reconcile/backoff.js';

/** How many names a stray-file report carries as examples (the count is exact). */
export const STRAY_EXAMPLES = 5;

export interface PendingFilesOptions {
  /** First re-check delay, doubled on each attempt. */
  readonly firstMs: number;
  /** Cap of one delay step. */
  readonly maxStepMs: number;
  /** Give up after this long (a last re-check happens at this moment). */
  readonly maxWaitMs: number;
  /**
   * Files re-checked at once. One more gives up on the oldest at once: the
   * file created last is the likeliest namespace about to be mounted.
   */
  readonly maxTracked: number;
  /**
   * Stray files remembered, so that later looks skip them. Beyond that they
   * are counted in the report, not remembered, and a full scan does not start
   * re-checking a pending file it does not know (a hint still does).
   */
  readonly maxRemembered: number;
  /** A report is due once no file is re-checked any more, or this long after its first stray at the latest. */
  readonly reportMaxDelayMs: number;
}

/** Files given up on since the last report, reported in one warning. */
export interface StrayReport {
  readonly dir: string;
  readonly count: number;
  /** The first few names given up on, in that order. */
  readonly examples: readonly string[];
  /** Of `count`, given up before `maxWaitMs` because more than `maxTracked` files were pending at once. */
  readonly cutShort: number;
  /** Of `count`, not remembered because `maxRemembered` stray files already were. */
  readonly notRemembered: number;
}

interface Tracker {
  readonly fileId: string;
  readonly sinceMs: number;
  /** Index of the next re-check in the schedule. */
  step: number;
  dueMs: number;
  /** The last re-check was asked for: the next look that still finds the file pending gives up on it. */
  expired: boolean;
}

interface Unreported {
  count: number;
  readonly examples: string[];
  cutShort: number;
  notRemembered: number;
  readonly sinceMs: number;
}

/** Re-check times after a file was first found pending: first, first+2·first, ... capped steps, and a last one at maxWait. */
export function recheckOffsets(o: Pick<PendingFilesOptions, 'firstMs' | 'maxStepMs' | 'maxWaitMs'>): number[] {
  const at: number[] = [];
  for (let i = 0, t = 0; ; i++) {
    t += backoffDelay(i, o.firstMs, o.maxStepMs);
    if (t >= o.maxWaitMs) break;
    at.push(t);
  }
  at.push(o.maxWaitMs);
  return at;
}

/**
 * The files of one directory that exist but are not namespaces (yet): which
 * to re-check when, which were given up on (stray files), and what to report.
 * Pure (time is passed in). Every operation is O(files in the look) or
 * O(maxTracked + maxRemembered), so a directory full of stray files costs a
 * bounded amount of re-checking and memory:
 *
 * - at most `maxTracked` files are re-checked with backoff at once;
 * - at most `maxRemembered` stray files are remembered;
 * - stray files are reported in bulk (`takeReport`), not one by one.
 */
export class PendingFiles {
  private readonly schedule: readonly number[];
  /** Insertion order = the order files were found: the first is the oldest. */
  private readonly tracking = new Map<string, Tracker>();
  /** Given up on: name → file identity (a changed file is judged anew). */
  private readonly strays = new Map<string, string>();
  private unreported: Unreported | undefined;

  constructor(readonly dir: string, private readonly o: PendingFilesOptions) {
    this.schedule = recheckOffsets(o);
  }

  get trackedCount(): number {
    return this.tracking.size;
  }

  get rememberedCount(): number {
    return this.strays.size;
  }

  /** Takes in what one look at the directory found. */
  observe(obs: Observation, now: number): void {
    for (const [name, probe] of obs.entries) {
      if (probe.state === 'unknown') continue;
      if (probe.state !== 'pending') {
        this.forget(name);
        continue;
      }
      if (this.strays.get(name) === probe.fileId) continue;
      const t = this.tracking.get(name);
      if (t?.fileId === probe.fileId) {
        if (t.expired) this.giveUp(name, t, now, false);
        continue;
      }
      this.forget(name);
      // Memory full: a pending file a full scan finds unknown is most likely a stray not remembered.
      if (obs.full && this.strays.size >= this.o.maxRemembered) continue;
      this.track(name, probe.fileId, now);
    }
    if (obs.full) {
      for (const name of this.tracking.keys()) if (!obs.entries.has(name)) this.tracking.delete(name);
      for (const name of this.strays.keys()) if (!obs.entries.has(name)) this.strays.delete(name);
    }
  }

  /** The files whose re-check is due at `now` (each advances to its next step). */
  takeDue(now: number): string[] {
    const names: string[] = [];
    for (const [name, t] of this.tracking) {
      if (t.expired || t.dueMs > now) continue;
      names.push(name);
      t.step++;
      const next = this.schedule[t.step];
      if (next === undefined) t.expired = true;
      else t.dueMs = t.sinceMs + next;
    }
    return names;
  }

  /**
   * The files still re-checked that were found at most `maxAgeMs` before `now`, due or not (a mount just
   * happened: worth a look at the files likely about to become namespaces; their schedule stays).
   */
  waiting(now: number, maxAgeMs: number): string[] {
    const names: string[] = [];
    for (const [name, t] of this.tracking) if (!t.expired && now - t.sinceMs <= maxAgeMs) names.push(name);
    return names;
  }

  /** When the next re-check is due, if any. */
  nextDueMs(): number | undefined {
    let due: number | undefined;
    for (const t of this.tracking.values()) if (!t.expired && (due === undefined || t.dueMs < due)) due = t.dueMs;
    return due;
  }

  /**
   * The stray files given up on since the last report, once it is due: when
   * no file is re-checked any more (a burst of stray files makes one report),
   * or `reportMaxDelayMs` after the first of them (a steady stream cannot
   * postpone it for ever).
   */
  takeReport(now: number): StrayReport | undefined {
    const r = this.unreported;
    if (!r || (this.tracking.size > 0 && now - r.sinceMs < this.o.reportMaxDelayMs)) return undefined;
    this.unreported = undefined;
    return { dir: this.dir, count: r.count, examples: r.examples, cutShort: r.cutShort, notRemembered: r.notRemembered };
  }

  private track(name: string, fileId: string, now: number): void {
    if (this.tracking.size >= this.o.maxTracked) {
      const oldest = this.tracking.entries().next().value;
      if (oldest) this.giveUp(oldest[0], oldest[1], now, true);
    }
    this.tracking.set(name, { fileId, sinceMs: now, step: 0, dueMs: now + (this.schedule[0] ?? 0), expired: false });
  }

  private giveUp(name: string, t: Tracker, now: number, cutShort: boolean): void {
    this.tracking.delete(name);
    const r = (this.unreported ??= { count: 0, examples: [], cutShort: 0, notRemembered: 0, sinceMs: now });
    r.count++;
    if (r.examples.length < STRAY_EXAMPLES) r.examples.push(name);
    if (cutShort) r.cutShort++;
    if (this.strays.size < this.o.maxRemembered) this.strays.set(name, t.fileId);
    else r.notRemembered++;
  }

  private forget(name: string): void {
    this.tracking.delete(name);
    this.strays.delete(name);
  }
}
