import { asyncScheduler, EMPTY, type Observable, type SchedulerLike } from 'rxjs';
import type { Logger } from '../observe/logger.js';
import { silentLogger } from '../observe/logger.js';
import type { NetnsFs } from './netns-fs.js';
import type { NamespaceRefusedError } from './errors/namespace-refused-error.js';
import { nodeNetnsFs } from './node-netns-fs.js';

/** Tunables of the namespace source, with units. Defaults in DEFAULTS below. */
export interface WatchNamespacesOptions {
  /** Directories to watch, exactly these (defaults are the config's business). */
  readonly dirs: readonly string[];
  /** Periodic full rescan of every directory: repairs whatever inotify missed. */
  readonly rescanIntervalMs?: number;
  /** First re-check delay for a file that is not an nsfs mount yet; doubles per attempt. */
  readonly readinessRetryMs?: number;
  /** Cap of one readiness re-check step. */
  readonly readinessMaxStepMs?: number;
  /** After this long a file that is still not a mount is ignored with one warning. */
  readonly readinessMaxWaitMs?: number;
  /** A burst of directory events is followed by one full rescan this long after the last event... */
  readonly burstQuietMs?: number;
  /** ...or this long after the first, whichever is first (a steady stream cannot starve it). */
  readonly burstMaxWaitMs?: number;
  /** Probe the file an inotify event names right away (low latency); false = only debounced full rescans. */
  readonly fileHints?: boolean;
  /** First retry delay for an unreadable directory or a failed watch; doubles up to rescanIntervalMs. */
  readonly dirRetryMs?: number;
  /** Files probed at once during a full scan. */
  readonly probeConcurrency?: number;
  /**
   * Files per directory re-checked for readiness at once; one more gives up on the oldest
   * (reported as a stray file). Bounds the re-check work a flood of stray files can cause.
   */
  readonly readinessMaxFiles?: number;
  /**
   * Stray files remembered per directory (so later looks skip them). Beyond that they are not
   * remembered, and full scans do not start re-checking pending files they do not know.
   */
  readonly strayFilesRemembered?: number;
  /**
   * The host network namespace file (the agent config's `hostNetns`, where OVS runs): a file in a
   * watched directory that is this namespace is refused, like one that is the agent's own.
   */
  readonly hostNetns?: string;
  /** The agent's own network namespace, compared by dev+inode (default /proc/self/ns/net; tests change it). */
  readonly ownNetns?: string;
  readonly logger?: Logger;
  /** Told each time a directory's state changes (for status pages): ok, missing (watched for), or unreadable with the reason. */
  readonly onDirState?: (dir: string, state: 'ok' | 'missing' | 'unreadable', reason?: string) => void;
  /**
   * Told when a file is refused (symlink, the agent's or host namespace, an alias: the error says which),
   * again if the reason changes, and with undefined when it is no longer refused (gone, changed, admitted).
   */
  readonly onRefusal?: (path: string, refusal: NamespaceRefusedError | undefined) => void;
  /**
   * Paths worth a look now (a container runtime says it let the namespace go: `docker stop` unmounts the
   * file without any inotify event). Each is probed at once in its directory, instead of at the next rescan.
   */
  readonly recheck$?: Observable<string>;
  /**
   * The mount table changed (mount-changes.ts): files that exist but are not namespaces yet are looked at
   * again at once, instead of only at their next re-check step. Default: never (the re-check timer alone).
   */
  readonly mountChanges$?: Observable<unknown>;
  /**
   * Directories where a container runtime pins namespaces and leaves the files behind, unmounted, when a
   * container stops (Docker): files there that are not namespaces are expected, so they are reported at
   * info, not as a warning.
   */
  readonly runtimeDirs?: readonly string[];
  /** Called once, after every directory was looked at once and the namespaces found were emitted. */
  readonly onInitialScan?: () => void;
  /** Virtual time in marble tests. */
  readonly scheduler?: SchedulerLike;
  /** The file system (injected in unit tests). */
  readonly fs?: NetnsFs;
}

export type ResolvedOptions = Required<Omit<WatchNamespacesOptions, 'hostNetns'>> & { readonly hostNetns: string | undefined };

export const DEFAULTS = {
  rescanIntervalMs: 30_000,
  readinessRetryMs: 5,
  readinessMaxStepMs: 1_000,
  readinessMaxWaitMs: 10_000,
  burstQuietMs: 50,
  burstMaxWaitMs: 1_000,
  fileHints: true,
  dirRetryMs: 500,
  probeConcurrency: 64,
  readinessMaxFiles: 256,
  strayFilesRemembered: 16_384,
  ownNetns: '/proc/self/ns/net',
} as const;

export function resolveOptions(opts: WatchNamespacesOptions): ResolvedOptions {
  return {
    ...DEFAULTS,
    ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
    dirs: opts.dirs,
    logger: opts.logger ?? silentLogger(),
    scheduler: opts.scheduler ?? asyncScheduler,
    fs: opts.fs ?? nodeNetnsFs(),
    onDirState: opts.onDirState ?? (() => undefined),
    onRefusal: opts.onRefusal ?? (() => undefined),
    onInitialScan: opts.onInitialScan ?? (() => undefined),
    recheck$: opts.recheck$ ?? EMPTY,
    mountChanges$: opts.mountChanges$ ?? EMPTY,
    runtimeDirs: opts.runtimeDirs ?? [],
    hostNetns: opts.hostNetns,
  };
}
