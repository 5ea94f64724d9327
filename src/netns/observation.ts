import type { NamespaceInfo } from './types.js';

/**
 * What one look at a namespace directory found. Internal to src/netns: the
 * operators turn these into NamespaceEvents.
 */

/** State of one file in a namespace directory. */
export type Probe =
  /** An nsfs mount: a live namespace. `incarnation` changes when the namespace does, even if the inode is reused. */
  | { readonly state: 'ready'; readonly inode: number; readonly incarnation: string; readonly nsId: string }
  /** A symbolic link (lstat): refused whatever it points to. `fileId` is the link's own identity. */
  | { readonly state: 'symlink'; readonly fileId: string; readonly target: string }
  /** A file that is not (yet) an nsfs mount, e.g. `ip netns add` between create and mount. `fileId` is the plain file's identity. */
  | { readonly state: 'pending'; readonly fileId: string }
  | { readonly state: 'gone' }
  /** The probe itself failed (not ENOENT): nothing can be concluded. */
  | { readonly state: 'unknown'; readonly code: string };

/** State of a watched directory after a full scan. */
export type DirState =
  /** Listed fine; `id` (dev:ino) changes if something is mounted over it or it is re-created. */
  | { readonly kind: 'ok'; readonly id: string }
  /** Does not exist; `ancestor` is the nearest existing parent (watched for its creation). */
  | { readonly kind: 'missing'; readonly ancestor: string }
  /** Exists but cannot be listed (EACCES, ENOTDIR, ...). */
  | { readonly kind: 'unreadable'; readonly code: string; readonly message: string };

export interface Observation {
  readonly dir: string;
  /**
   * true: `entries` is the whole directory (a name not in it is gone).
   * false: only the names in `entries` were looked at.
   */
  readonly full: boolean;
  readonly entries: ReadonlyMap<string, Probe>;
  /** Set by full scans only. */
  readonly dirState?: DirState;
  /** When the look was taken (ms since epoch, scheduler time). */
  readonly atMs: number;
}

/**
 * A file the per-directory diff found or lost, before admission decides
 * whether it is plugged: a namespace mount (with `nsId`, the namespace's
 * dev:ino, to tell aliases and the host's own namespace), or a symbolic link.
 */
export type Found =
  | { readonly kind: 'namespace'; readonly ns: NamespaceInfo; readonly nsId: string }
  | { readonly kind: 'symlink'; readonly ns: Omit<NamespaceInfo, 'inode'>; readonly target: string };

/** Output of the per-directory diff: found/lost files, and `looked` after each full look at a directory (its events come first). */
export type FoundEvent =
  | { readonly type: 'added' | 'removed'; readonly found: Found }
  | { readonly type: 'looked'; readonly dir: string };

/**
 * A request to look at a directory: all of it (list it, probe every file), its listing (list it, probe
 * every file but the namespaces already found: names appeared or vanished, plain files, links, failed
 * probes), or only some names.
 */
export type ScanRequest = { readonly kind: 'full' } | { readonly kind: 'listing' } | { readonly kind: 'names'; readonly names: Iterable<string> };

export const FULL_SCAN: ScanRequest = { kind: 'full' };
export const LISTING_SCAN: ScanRequest = { kind: 'listing' };
