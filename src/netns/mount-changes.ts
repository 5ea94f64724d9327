import { EMPTY, Observable, share } from 'rxjs';
import { loadNative, type NativeAddon } from '../native/native.js';
import type { Logger } from '../observe/logger.js';

/**
 * The mount table changed (this process's mount namespace): one emission per
 * change, or one for many that came at once. A namespace file is bind-mounted
 * after it is created (`ip netns add`, container runtimes) and a mount makes
 * no inotify event, so files still waiting to become namespaces are looked at
 * again on each emission, not only on their backoff timer. One watching thread
 * (native addon) for all subscribers; without the addon it never emits, and
 * the timer alone finds the mount.
 */
export function mountChanges$(logger: Logger, addon: NativeAddon | undefined = loadNative().addon): Observable<void> {
  const watch = addon?.watchMounts?.bind(addon);
  if (!watch) return EMPTY;
  return new Observable<void>((subscriber) => {
    let handle: { close(): void } | undefined;
    try {
      handle = watch(() => subscriber.next());
    } catch (err) {
      // The timer still finds mounts: a missing watch costs latency, not correctness.
      logger.warn({ err: (err as Error).message }, 'mount table watch not started: namespace mounts are found by re-checks on a timer');
      subscriber.complete();
      return undefined;
    }
    return () => handle?.close();
  }).pipe(share());
}
