import { concatMap, defer, EMPTY, from, map, merge, mergeMap, Observable, Subject, takeUntil, timer, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { Observation } from '../observation.js';
import { backoffDelay } from './backoff.js';

export type ReadinessSignal =
  /** Look at this file again: it exists but is not an nsfs mount yet (a mount makes no inotify event). */
  | { readonly type: 'recheck'; readonly dir: string; readonly name: string }
  /** Still not a mount after `maxWaitMs`: warn once, stop re-checking (periodic rescans still see it if it ever mounts). */
  | { readonly type: 'gave-up'; readonly dir: string; readonly name: string; readonly waitedMs: number };

export interface ReadinessRetryOptions {
  /** First re-check delay, doubled on each attempt. */
  readonly firstMs: number;
  /** Cap of one delay step. */
  readonly maxStepMs: number;
  /** Give up after this long (a last re-check happens at this moment). */
  readonly maxWaitMs: number;
  readonly scheduler: SchedulerLike;
}

interface Tracker {
  readonly fileId: string;
  readonly sinceMs: number;
  readonly stop$: Subject<void>;
  expired: boolean;
}

/**
 * Re-checks files that exist but are not namespaces yet with backoff (`ip
 * netns add` creates the file, then bind-mounts it), and gives up on a
 * stray file with exactly one signal instead of polling it forever.
 */
export function readinessRetry(opts: ReadinessRetryOptions): OperatorFunction<Observation, ReadinessSignal> {
  return (source) =>
    defer(() => {
      // Per directory, per file name: files being re-checked, and files given up on (by file identity).
      const trackingByDir = new Map<string, Map<string, Tracker>>();
      const gaveUpByDir = new Map<string, Map<string, string>>();
      return source.pipe(
        mergeMap((obs) => {
          const tracking = getOrCreate(trackingByDir, obs.dir);
          const gaveUp = getOrCreate(gaveUpByDir, obs.dir);
          const forget = (name: string): void => {
            const t = tracking.get(name);
            if (t) {
              tracking.delete(name);
              t.stop$.next();
            }
            gaveUp.delete(name);
          };
          const now = opts.scheduler.now();
          const out: Observable<ReadinessSignal>[] = [];
          const signals: ReadinessSignal[] = [];
          for (const [name, probe] of obs.entries) {
            if (probe.state === 'unknown') continue;
            if (probe.state !== 'pending') {
              forget(name);
              continue;
            }
            if (gaveUp.get(name) === probe.fileId) continue;
            const t = tracking.get(name);
            if (t?.fileId === probe.fileId) {
              if (t.expired) {
                tracking.delete(name);
                gaveUp.set(name, probe.fileId);
                signals.push({ type: 'gave-up', dir: obs.dir, name, waitedMs: now - t.sinceMs });
              }
              continue;
            }
            forget(name);
            const tracker: Tracker = { fileId: probe.fileId, sinceMs: now, stop$: new Subject<void>(), expired: false };
            tracking.set(name, tracker);
            out.push(recheck$(opts, obs.dir, name, tracker));
          }
          if (obs.full) {
            for (const name of new Set([...tracking.keys(), ...gaveUp.keys()])) if (!obs.entries.has(name)) forget(name);
          }
          return signals.length || out.length ? merge(from(signals), ...out) : EMPTY;
        }),
      );
    });
}

/** Re-check signals at first, first+2·first, ... and a last one at maxWait; then the tracker is expired. */
function recheck$(opts: ReadinessRetryOptions, dir: string, name: string, tracker: Tracker): Observable<ReadinessSignal> {
  const at: number[] = [];
  for (let i = 0, t = 0; ; i++) {
    t += backoffDelay(i, opts.firstMs, opts.maxStepMs);
    if (t >= opts.maxWaitMs) break;
    at.push(t);
  }
  at.push(opts.maxWaitMs);
  const last = at.length - 1;
  // One timer at a time: a thousand pending files hold a thousand timers, not fifteen thousand.
  return from(at.map((t, i) => ({ delay: t - (at[i - 1] ?? 0), i }))).pipe(
    concatMap(({ delay, i }) =>
      timer(delay, opts.scheduler).pipe(
        map((): ReadinessSignal => {
          if (i === last) tracker.expired = true;
          return { type: 'recheck', dir, name };
        }),
      ),
    ),
    takeUntil(tracker.stop$),
  );
}

function getOrCreate<V>(m: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let v = m.get(key);
  if (!v) m.set(key, (v = new Map()));
  return v;
}
