import { Observable, throttleTime, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { Observation } from '../observation.js';
import { PendingFiles, type PendingFilesOptions, type StrayReport } from '../pending-files.js';

export type ReadinessSignal =
  /** Look at these files again: they exist but are not nsfs mounts yet (a mount makes no inotify event). */
  | { readonly type: 'recheck'; readonly dir: string; readonly names: readonly string[] }
  /** Files given up on (still not mounts after `maxWaitMs`, or too many pending at once): one report for many. */
  | { readonly type: 'strays'; readonly report: StrayReport };

/**
 * A mount change looks again at the files found at most this long ago: a runtime mounts a namespace
 * milliseconds after creating its file, and a directory of old stray files is not looked at on every mount.
 */
export const MOUNT_RECHECK_MAX_AGE_MS = 1_000;
/** Mount changes closer together than this make one look at the start and one at the end (a busy host's mount churn). */
export const MOUNT_RECHECK_MIN_GAP_MS = 5;

export interface ReadinessRetryOptions extends PendingFilesOptions {
  readonly scheduler: SchedulerLike;
  /** The mount table changed: the files still waiting that are recent are looked at again now (their timer schedule stays). */
  readonly mountChanges$?: Observable<unknown>;
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
 * When the mount table changes (`mountChanges$`), every file found in the
 * last second that still waits is looked at at once: the mount is found when
 * it happens, not at the next step. At most one such look per
 * MOUNT_RECHECK_MIN_GAP_MS, and at most `maxTracked` files each.
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

      const mounts = opts.mountChanges$?.pipe(throttleTime(MOUNT_RECHECK_MIN_GAP_MS, scheduler, { leading: true, trailing: true })).subscribe(() => {
        const now = scheduler.now();
        for (const d of byDir.values()) {
          const names = d.files.waiting(now, MOUNT_RECHECK_MAX_AGE_MS);
          if (names.length > 0) subscriber.next({ type: 'recheck', dir: d.files.dir, names });
        }
      });

      return () => {
        mounts?.unsubscribe();
        sub.unsubscribe();
        for (const d of byDir.values()) d.timer?.unsubscribe();
      };
    });
}
