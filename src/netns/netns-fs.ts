import type { Observable } from 'rxjs';
import type { Probe } from './observation.js';

/** One listing of a namespace directory. */
export interface DirListing {
  /** dev:ino of the directory: changes when it is re-created or something is mounted over it. */
  readonly id: string;
  readonly names: readonly string[];
}

/**
 * Everything the namespace source needs from the file system, injected so
 * the timing logic runs in virtual time without a real file system (units),
 * and against real namespaces with `nodeNetnsFs()` (integration).
 */
export interface NetnsFs {
  /** Lists a directory; fails with the Node error (its `code`: ENOENT, EACCES, ENOTDIR...). */
  listDir(dir: string): Observable<DirListing>;
  /** Looks at one file; never fails (a failed look is `unknown`). */
  probe(path: string): Observable<Probe>;
  /** The nearest ancestor of `path` that exists (for watching a missing directory's creation). */
  nearestExisting(path: string): Observable<string>;
  /**
   * dev:ino of the namespace a path leads to (following links: /proc/self/ns/net is one), read once.
   * The real one keeps the file open until unsubscribed, so the namespace (and its inode number)
   * cannot be freed and reused while it is compared against. Fails when the path cannot be opened.
   */
  nsId(path: string): Observable<string>;
  /** Change hints for a directory's entries: a file name, or null when the kernel did not say. Fails when the watch does. */
  watch(dir: string): Observable<string | null>;
}
