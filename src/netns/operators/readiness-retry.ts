import { Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { Observation } from '../observation.js';
import { PendingFiles, type PendingFilesOptions, type StrayReport } from '../pending-files.js';

export type ReadinessSignal =
  /** Look at these files again: they exist but are not nsfs mounts yet (a mount makes no inotify event). */
  | { readonly type: 'recheck'; readonly dir: string; readonly names: readonly string[] }
  /** Files given up on (still not mounts after `maxWaitMs`, or too many pending at once): one report for many. */
  | { readonly type: 'strays'; readonly report: StrayReport };

export interface ReadinessRetryOptions extends PendingFilesOptions {
  readonly scheduler: SchedulerLike;
}

interface DirTimer {
  readonly files: PendingFiles;
  timer?: Subscription;
  timerDueMs?: number;
}

/**
 * Re-checks files that exist but are not namespaces yet with backoff (`ip
 * netns add` creates the file, then bind-mounts it), and gives up on stray
 * files, reported in bulk, instead of polling them forever. One timer per
 * directory: the re-checks due together make one signal (one look), and at
 * most `maxTracked` files per directory are re-checked at once, so a
 * directory full of stray files costs bounded work (see PendingFiles).
 */
export function readinessRetry(opts: ReadinessRetryOptions): OperatorFunction<Observation, ReadinessSignal> {
  const { scheduler } = opts;
  return (source) =>
    new Observable<ReadinessSignal>((subscriber) => {
      const byDir = new Map<string, DirTimer>();

      const arm = (d: DirTimer): void => {
        const due = d.files.nextDueMs();
        if (d.timer && d.timerDueMs === due) return;
        d.timer?.unsubscribe();
        d.timer = d.timerDueMs = undefined;
        if (due === undefined) return;
        d.timerDueMs = due;
        d.timer = scheduler.schedule(() => {
          d.timer = d.timerDueMs = undefined;
          const names = d.files.takeDue(scheduler.now());
          // Armed before the signal: a look it triggers synchronously re-arms as it sees fit.
          arm(d);
          if (names.length > 0) subscriber.next({ type: 'recheck', dir: d.files.dir, names });
        }, Math.max(0, due - scheduler.now()));
      };

      const sub = source.subscribe({
        next: (obs) => {
          let d = byDir.get(obs.dir);
          if (!d) byDir.set(obs.dir, (d = { files: new PendingFiles(obs.dir, opts) }));
          const now = scheduler.now();
          d.files.observe(obs, now);
          arm(d);
          const report = d.files.takeReport(now);
          if (report) subscriber.next({ type: 'strays', report });
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });

      return () => {
        sub.unsubscribe();
        for (const d of byDir.values()) d.timer?.unsubscribe();
      };
    });
}
