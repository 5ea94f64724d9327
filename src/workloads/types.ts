import type { Observable } from 'rxjs';
import type { Logger } from '../observe/logger.js';

/**
 * What a container runtime says about one workload (a Docker container; a
 * Kubernetes pod sandbox from the CRI next). Every field comes from outside:
 * names and labels are data, bounded and never interpolated into commands.
 */
export interface WorkloadInfo {
  /** Which source told us: "docker" or "cri" (a Kubernetes pod sandbox). */
  readonly runtime: string;
  /** The runtime's id of the workload (Docker: the 64-hex container id). */
  readonly id: string;
  /** Its name: Docker's container name without the leading "/" (CRI: "namespace/pod"). */
  readonly name: string;
  /** Its labels (a null-prototype record: "__proto__" is a key like any other). */
  readonly labels: Readonly<Record<string, string>>;
  /** The network namespace file the runtime pinned for it (normalised: symlinked dirs resolved), the join key. */
  readonly netnsPath: string;
  /** The runtime's network mode as given (Docker: "none", "default", "bridge", a network name...). */
  readonly networkMode: string;
  /**
   * The runtime configures the namespace's network itself (every Docker mode but "none"): the tenant
   * interface is then a secondary interface, without a default route, plugged only once the runtime is done.
   */
  readonly runtimeNetworked: boolean;
  /** Lifecycle, folded to what matters here (see WorkloadState). */
  readonly state: WorkloadState;
  /** A pod's Kubernetes namespace (CRI only; `name` is then "namespace/pod"). */
  readonly k8sNamespace?: string;
  /** A pod's uid (CRI only). */
  readonly podUid?: string;
  /** A pod's annotations (CRI only; bounded, a null-prototype record). */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Tenants the pod asks for by name in its k8s.v1.cni.cncf.io/networks annotation (CRI only). */
  readonly networks?: readonly string[];
  /** Why that annotation could not be read (it then names no tenant). */
  readonly networksFault?: string;
}

/**
 * - `running`: the runtime finished its own setup; the workload may be plugged.
 * - `starting`: created or being started; its namespace may exist, the runtime may still be configuring it: wait.
 * - `stopped`: exited, dead or being removed: its namespace is gone or going; its port goes at once.
 */
export type WorkloadState = 'running' | 'starting' | 'stopped';

/** What one runtime source knows now: the level, re-emitted whole on every change (keyed by namespace path). */
export interface WorkloadSourceState {
  readonly runtime: string;
  /** The runtime's API answers now. */
  readonly connected: boolean;
  /** A full listing has been read since the source started: metadata is known (maybe stale while disconnected). */
  readonly synced: boolean;
  /** Why it is not connected (last error), for /status. */
  readonly error?: string;
  /** When `connected` last changed (ms since epoch). */
  readonly sinceMs: number;
  /** Workloads by normalised namespace path. */
  readonly workloads: ReadonlyMap<string, WorkloadInfo>;
}

/** What every runtime's source is told: where its API and its namespace files are, and how to retry. */
export interface RuntimeSourceOptions {
  /** The runtime API's unix socket. */
  readonly socketPath: string;
  /** Where the agent sees the runtime's namespace files. */
  readonly netnsDirs: readonly string[];
  readonly logger: Logger;
  /** First reconnection delay, doubled per failure up to retryMaxMs. */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  readonly now?: () => number;
}

/**
 * A source of facts about workloads, one per runtime. The namespace file
 * stays the trigger; this only says whose namespace a file is.
 */
export interface WorkloadSource {
  readonly runtime: string;
  /**
   * Directories where this runtime pins namespace files. A namespace there is
   * the runtime's: it is not plugged until its metadata is known (never race
   * the runtime), and ports already in place are kept while it is unknown.
   */
  readonly netnsDirs: readonly string[];
  /**
   * Which file names in netnsDirs are the runtime's (absent: all). A directory the runtime shares with
   * others (containerd's /run/netns, also `ip netns`'s) claims only the names the runtime gives.
   */
  readonly claims?: (fileName: string) => boolean;
  /** Cold: subscribing connects; emits the whole state on every change; never errors (reconnects with backoff). */
  readonly state$: Observable<WorkloadSourceState>;
  /** Paths of namespace files the runtime has just let go (a stopped container's): worth a fresh look now. */
  readonly released$?: Observable<string>;
}

/** How a namespace file relates to the runtimes' metadata. */
export type WorkloadJoin =
  /** No runtime claims its directory: a plain namespace (ip netns, or no runtime configured). */
  | { readonly kind: 'none' }
  /** In a runtime's directory, but that runtime has not said whose it is (not synced, not listed yet). */
  | { readonly kind: 'unknown'; readonly runtime: string; readonly connected: boolean; readonly synced: boolean }
  | { readonly kind: 'known'; readonly workload: WorkloadInfo };
