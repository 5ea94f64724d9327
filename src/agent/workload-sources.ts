// The agent's side of workload metadata: which runtime sources the config asks for, their state as
// pass input events (one per change), their health into metrics, and the namespace
// files they let go back to the namespace source for a fresh look.
import { basename, dirname, join } from 'node:path';
import { EMPTY, firstValueFrom, map, merge, Observable, Subject, tap, timeout, catchError, of, shareReplay, startWith, take } from 'rxjs';
import type { AgentConfig } from '../config/types.js';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import { criSource, dockerSource, pathNormaliser, type RuntimeView, type WorkloadSource, type WorkloadSourceState } from '../workloads/index.js';
import { workloadJoin, type AgentEvent, type PassInput } from './pass-input.js';
import type { NamespaceRef } from '../manifests/match-namespace.js';
import { byFirstSeen } from '../netns/types.js';

/** Docker's namespace directory unless configured (dockerd's default exec root + /netns). */
export const DEFAULT_DOCKER_NETNS_DIR = '/run/docker/netns';

/** Where a CRI runtime (containerd, CRI-O) pins pod namespace files unless configured. */
export const DEFAULT_CRI_NETNS_DIR = '/run/netns';

/** How long the first pass waits for a runtime's first answer (a listing, or a failure) before going on without it. */
export const FIRST_METADATA_WAIT_MS = 10_000;

export class AgentWorkloads {
  readonly sources: readonly WorkloadSource[];
  /** Namespace paths as the runtimes spell them (symlinked directories resolved). */
  readonly normalise: (path: string) => string;
  private readonly gone = new Subject<string>();
  private readonly states = new Map<string, WorkloadSourceState>();
  private readonly shared: ReadonlyMap<WorkloadSource, Observable<WorkloadSourceState>>;

  constructor(private readonly config: AgentConfig, private readonly logger: Logger, private readonly metrics: Metrics) {
    this.normalise = pathNormaliser();
    const sources: WorkloadSource[] = [];
    if (config.dockerSocket !== undefined) {
      sources.push(dockerSource({
        socketPath: config.dockerSocket,
        netnsDirs: [dirname(this.normalise(join(config.dockerNetnsDir ?? DEFAULT_DOCKER_NETNS_DIR, 'x')))],
        logger,
        normalise: this.normalise,
      }));
    }
    if (config.criSocket !== undefined) {
      // The runtime names its own path (/var/run/netns/cni-…); the agent may see that directory elsewhere
      // (a DaemonSet mounts the host's /run/netns): the file name joins them.
      const dir = dirname(this.normalise(join(config.criNetnsDir ?? DEFAULT_CRI_NETNS_DIR, 'x')));
      sources.push(criSource({
        socketPath: config.criSocket,
        netnsDirs: [dir],
        logger,
        mapPath: (p) => join(dir, basename(p)),
      }));
    }
    this.sources = sources;
    this.shared = new Map(sources.map((s) => [s, s.state$.pipe(shareReplay({ bufferSize: 1, refCount: true }))]));
  }

  /** Namespace files worth a look now, as the namespace source's directories spell them. */
  get recheck$(): Observable<string> {
    const released = merge(this.gone, ...this.sources.map((s) => s.released$ ?? EMPTY));
    return released.pipe(
      map((p) => {
        const n = this.normalise(p);
        const dir = this.config.namespaceDirs.find((d) => this.normalise(join(d, basename(n))) === n);
        return dir === undefined ? p : join(dir, basename(n));
      }),
    );
  }

  /** The watched namespace directories that are a runtime's (stale unmounted files there are routine). */
  runtimeDirs(namespaceDirs: readonly string[]): string[] {
    const mine = new Set(this.sources.flatMap((s) => s.netnsDirs));
    return namespaceDirs.filter((d) => mine.has(dirname(this.normalise(join(d, 'x')))));
  }

  /** Plumbing found this namespace file gone: let the namespace source look again now. */
  noteGone(path: string): void {
    this.gone.next(path);
  }

  /** Resolves once every source answered once (listed or failed), or after FIRST_METADATA_WAIT_MS. */
  firstAnswers(): Promise<void> {
    return Promise.all([...this.shared.values()].map((s$) => firstValueFrom(s$.pipe(take(1), map(() => undefined), timeout({ first: FIRST_METADATA_WAIT_MS, with: () => of(undefined) }), catchError(() => of(undefined))), { defaultValue: undefined }))).then(() => undefined);
  }

  /** The runtimes' views: one at once (nothing heard yet), then one per change of any source's state. */
  events$(): Observable<AgentEvent> {
    if (this.sources.length === 0) return EMPTY;
    const views = (): RuntimeView[] => this.sources.map((s) => ({ runtime: s.runtime, netnsDirs: s.netnsDirs, state: this.states.get(s.runtime), ...(s.claims ? { claims: s.claims } : {}) }));
    return merge(...[...this.shared].map(([s, s$]) => s$.pipe(
      tap((st) => {
        const before = this.states.get(s.runtime);
        if (before && before.connected !== st.connected && st.connected) this.metrics.runtimeReconnects.inc({ runtime: s.runtime });
        this.states.set(s.runtime, st);
        this.metrics.runtimeConnected.set({ runtime: s.runtime }, st.connected ? 1 : 0);
        this.metrics.runtimeWorkloads.set({ runtime: s.runtime }, st.workloads.size);
        this.logger.debug({ runtime: s.runtime, connected: st.connected, synced: st.synced, workloads: st.workloads.size }, 'workload metadata changed');
      }),
    ))).pipe(
      map((): AgentEvent => ({ kind: 'runtimes', views: views() })),
      startWith<AgentEvent>({ kind: 'runtimes', views: views() }),
    );
  }
}

/**
 * The namespaces that exist, first seen first, each with its workload when a runtime has said whose it
 * is: what the manifest loader checks a changed file against (a change that would put a running
 * container or pod into conflict is rejected, not applied).
 */
export function namespacesWithWorkloads(input: Pick<PassInput, 'namespaces' | 'runtimes'>, normalisePath?: (path: string) => string): NamespaceRef[] {
  const workloadOf = workloadJoin(input, normalisePath);
  return [...input.namespaces.values()].sort(byFirstSeen).map((ns) => {
    const j = workloadOf(ns);
    return j.kind === 'known' ? { name: ns.name, dir: ns.dir, path: ns.path, workload: j.workload } : ns;
  });
}
