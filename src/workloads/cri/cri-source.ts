// A CRI runtime (containerd, CRI-O) as a workload source: which pod sandbox owns which namespace file,
// with its name (namespace/pod), uid, labels, annotations and state — what the kubelet itself sees, no
// kube-apiserver needed. Level-triggered: a cheap ListPodSandbox on a short period (or at once on a
// GetContainerEvents event where the runtime has that stream, with a slow listing as the safety net);
// a sandbox is asked for its verbose status once per id and state, for its namespace path. The whole
// state is emitted on every change; the source never errors (it reconnects with backoff).
import { watch, type FSWatcher } from 'node:fs';
import { Observable, Subject } from 'rxjs';
import { mapLimit } from '../../plumbing/map-limit.js';
import { LinkHealth } from '../link-health.js';
import { ReconnectLoop } from '../reconnect-loop.js';
import type { RuntimeSourceOptions, WorkloadInfo, WorkloadSource, WorkloadSourceState } from '../types.js';
import { CRI_RUNTIME, GrpcCriApi, type CriApi } from './cri-api.js';
import type { PodSandboxItem } from './cri-messages.js';
import { parsePod } from './parse-pod.js';

/** Listing period without an event stream: a stopped sandbox is seen within this, well inside the 1 s unplug bound. */
export const CRI_POLL_MS = 250;
/** Listing period with an event stream (events trigger a listing at once; this only repairs a lost event). */
export const CRI_RESYNC_MS = 5_000;
/**
 * A new file in the runtime's namespace directory means a sandbox is being set up (the runtime pins the
 * namespace before its CNI call and lists the sandbox only when it is ready): list every FAST_MS for
 * FAST_WINDOW_MS after it, so a new pod is known within tens of milliseconds of RunPodSandbox returning.
 */
export const CRI_FAST_MS = 20;
export const CRI_FAST_WINDOW_MS = 3_000;
/** Periods grow with the number of pods (a listing of 10,000 pods is megabytes): at least 1 ms per this many pods. */
const PODS_PER_MS = 10;

/** socketPath: the runtime's CRI socket (containerd: /run/containerd/containerd.sock); netnsDirs: the host's /run/netns, mounted. */
export interface CriSourceOptions extends RuntimeSourceOptions {
  /** The API (tests inject a fake); default gRPC over socketPath. */
  readonly api?: CriApi;
  /** The runtime's namespace path → the path the namespace source reports (default: as is). */
  readonly mapPath?: (path: string) => string;
  readonly pollMs?: number;
  readonly resyncMs?: number;
  readonly fastMs?: number;
  readonly fastWindowMs?: number;
  /** Watch netnsDirs for new files (default true; a test of the period alone turns it off). */
  readonly watchDirs?: boolean;
  /** PodSandboxStatus calls in flight at once. */
  readonly statusConcurrency?: number;
}

interface Known {
  readonly state: number;
  readonly workload?: WorkloadInfo;
  /** Why the sandbox is not a usable workload (host network, out of bounds...). */
  readonly reason?: string;
}

/**
 * The names CRI runtimes give pod namespace files: containerd `cni-<uuid>`, CRI-O a bare `<uuid>`.
 * The directory (/run/netns) is shared with `ip netns`: only these wait for the runtime's metadata.
 */
const POD_NETNS_NAME = /^(?:cni-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isPodNetnsName(name: string): boolean {
  return POD_NETNS_NAME.test(name);
}

/** Containerd's (or any CRI runtime's) pod sandboxes as a WorkloadSource (see types.ts). */
export function criSource(o: CriSourceOptions): WorkloadSource {
  const released = new Subject<string>();
  const state$ = new Observable<WorkloadSourceState>((sub) => {
    const api = o.api ?? new GrpcCriApi({ socketPath: o.socketPath });
    const log = o.logger.child({ runtime: CRI_RUNTIME, socket: o.socketPath });
    const now = o.now ?? Date.now;
    let byId = new Map<string, Known>();
    const health = new LinkHealth(CRI_RUNTIME, o);
    let eventsUnsupported = false;
    let listing = false;
    let again = false;
    let fastUntil = 0;
    const warned = new Set<string>();
    const watchers = new Map<string, FSWatcher>();

    /** The next listing's delay: fast while a sandbox is being set up, the period otherwise; both grow with the pod count. */
    const period = (): number => {
      const floor = Math.ceil(byId.size / PODS_PER_MS);
      if (now() < fastUntil) return Math.max(o.fastMs ?? CRI_FAST_MS, floor);
      return Math.max(loop.streaming ? (o.resyncMs ?? CRI_RESYNC_MS) : (o.pollMs ?? CRI_POLL_MS), floor * 4);
    };

    /** inotify on the namespace directories (created later by the runtime: tried again at every listing). */
    const watchDirs = (): void => {
      for (const dir of o.netnsDirs) {
        if (watchers.has(dir) || o.watchDirs === false) continue;
        try {
          const w = watch(dir, { persistent: false }, (kind, file) => {
            // A pod's file appearing or going (`ip netns add` files in a shared /run/netns are not the runtime's).
            if (kind !== 'rename' || loop.stopped || (file !== null && !isPodNetnsName(String(file)))) return;
            fastUntil = now() + (o.fastWindowMs ?? CRI_FAST_WINDOW_MS);
            if (health.connected) schedule(o.fastMs ?? CRI_FAST_MS, loop.generation);
          });
          w.on('error', () => {
            w.close();
            watchers.delete(dir);
          });
          watchers.set(dir, w);
        } catch {
          // Not there yet.
        }
      }
    };

    const emit = (): void => {
      const workloads = new Map<string, WorkloadInfo>();
      for (const k of byId.values()) if (k.workload) workloads.set(k.workload.netnsPath, k.workload);
      sub.next(health.state(workloads));
    };

    /** A listing of connection g after ms (the source's one timer: never put off a listing already due sooner). */
    const schedule = (ms: number, g: number): void => loop.schedule(ms, () => void list(g));

    /** One listing: new sandboxes and changed states are asked for their status; the rest is kept as known. */
    const list = async (g: number): Promise<void> => {
      if (!loop.current(g)) return;
      if (listing) {
        again = true;
        return;
      }
      listing = true;
      try {
        const { items, truncated } = await api.listPodSandbox();
        if (truncated) log.warn({ max: items.length }, 'CRI: more pod sandboxes than nsvswitch reads; the rest are not known (their namespaces wait)');
        const next = new Map<string, Known>();
        const ask: PodSandboxItem[] = [];
        for (const item of items) {
          if (item.fault !== undefined) {
            if (item.id !== '') next.set(item.id, { state: item.state, reason: item.fault });
            continue;
          }
          const was = byId.get(item.id);
          if (was && was.state === item.state) next.set(item.id, was);
          else ask.push(item);
        }
        await mapLimit(ask, o.statusConcurrency ?? 8, async (item) => {
          const answer = await api.podSandboxStatus(item.id, true);
          if (answer === undefined) return; // removed meanwhile
          const p = parsePod(answer, item, o.mapPath ? { mapPath: o.mapPath } : {});
          next.set(item.id, p.ok ? { state: item.state, workload: p.workload } : { state: item.state, reason: p.reason });
        });
        if (!loop.current(g)) return;
        let changed = next.size !== byId.size;
        for (const [id, was] of byId) {
          const now2 = next.get(id);
          if (now2 === was) continue;
          changed = true;
          const w = was.workload;
          if (w && w.state === 'running' && (now2?.workload?.state !== 'running' || now2.workload.netnsPath !== w.netnsPath)) {
            log.debug({ pod: w.name, sandboxId: id.slice(0, 12), state: now2?.workload?.state ?? 'removed' }, 'CRI: pod sandbox stopped or removed');
            released.next(w.netnsPath);
          }
        }
        for (const [id, k] of next) {
          if (!byId.has(id)) changed = true;
          if (k.reason !== undefined && !warned.has(id) && k.reason !== 'no namespace (not ready)') {
            warned.add(id);
            log.info({ sandboxId: id.slice(0, 12), reason: k.reason }, 'CRI: pod sandbox not used');
          }
        }
        for (const id of warned) if (!next.has(id)) warned.delete(id);
        byId = next;
        const up = health.up();
        if (up) {
          const { reconnected } = up;
          changed = true;
          log.info({ pods: items.length, withNamespace: [...next.values()].filter((k) => k.workload).length, reconnected, events: !eventsUnsupported }, 'CRI: connected, pod sandboxes listed');
        }
        if (changed) emit();
        watchDirs();
        schedule(period(), g);
      } catch (err) {
        loop.lost(err, g);
      } finally {
        listing = false;
      }
      if (again && loop.current(g)) {
        again = false;
        void list(g);
      }
    };

    /** One connection: the runtime answers, its event stream (where it has one), a first listing. */
    const session = async (g: number): Promise<void> => {
      const v = await api.version();
      if (!loop.current(g)) return;
      log.debug({ runtimeName: v.runtimeName, runtimeVersion: v.runtimeVersion, api: v.api }, 'CRI: runtime answers');
      if (!eventsUnsupported) {
        loop.attach(g, api.openEvents(() => {
          if (g === loop.generation) schedule(0, g);
        }, (err) => {
          // The stream is gone either way: listings go back to the period (or to the backoff).
          if (!loop.current(g)) return;
          loop.detach();
          if (err.kind === 'unimplemented') {
            eventsUnsupported = true;
            log.info({ pollMs: o.pollMs ?? CRI_POLL_MS }, 'CRI: the runtime has no GetContainerEvents; listing pod sandboxes periodically');
            schedule(0, g);
          } else loop.lost(err, g);
        }));
      }
      await list(g);
    };

    const loop = new ReconnectLoop({
      health, log, now, session, emit,
      outage: { warning: 'CRI runtime unreachable: ports in place are kept, new pods wait; reconnecting', quiet: 'CRI runtime still unreachable', known: () => ({ pods: byId.size }) },
    });
    loop.start();
    return () => {
      loop.stop();
      for (const w of watchers.values()) w.close();
      if (!o.api) api.close();
    };
  });
  return { runtime: CRI_RUNTIME, netnsDirs: o.netnsDirs, claims: isPodNetnsName, state$, released$: released.asObservable() };
}
