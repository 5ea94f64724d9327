// Docker as a workload source: which container owns which namespace file, its name, labels, network
// mode and state, kept current from the Engine's event stream. Level-triggered like the rest: every
// (re)connection opens the event stream first, then lists and inspects every container, so nothing that
// happens meanwhile is lost; the whole state is emitted on every change.
import { Observable, Subject } from 'rxjs';
import { mapLimit } from '../../plumbing/map-limit.js';
import { LinkHealth } from '../link-health.js';
import { ReconnectLoop } from '../reconnect-loop.js';
import { RuntimeApiError } from '../errors/runtime-api-error.js';
import type { RuntimeSourceOptions, WorkloadInfo, WorkloadSource, WorkloadSourceState } from '../types.js';
import { HttpDockerApi, type DockerApi } from './docker-api.js';
import { listedIds, parseContainer, parseEvent } from './parse-container.js';

export const DOCKER_RUNTIME = 'docker';

/** socketPath: the Engine's socket; netnsDirs: where it pins namespace files (its exec root's netns/, default /run/docker/netns). */
export interface DockerSourceOptions extends RuntimeSourceOptions {
  /** The API (tests inject a fake); default HTTP over socketPath. */
  readonly api?: DockerApi;
  /** SandboxKey → the path the namespace source reports (default: as is). */
  readonly normalise?: (path: string) => string;
  /** Inspect calls in flight at once during a listing. */
  readonly inspectConcurrency?: number;
  /** Containers read at most (the rest are not known; a warning says so). */
  readonly maxContainers?: number;
  /** Events buffered while a listing runs; beyond it the listing is restarted. */
  readonly maxPendingEvents?: number;
}

/** Actions after which the container is inspected again (its namespace, name, labels or state may have changed). */
const INSPECT_ON = new Set(['start', 'restart', 'unpause', 'pause', 'rename', 'update']);
/** Actions after which the container has no running namespace any more: its port goes at once, before any inspect. */
const STOPPED_ON = new Set(['die', 'stop', 'oom']);

const EVENTS_PATH = `/events?filters=${encodeURIComponent(JSON.stringify({ type: ['container'] }))}`;

/** Docker's containers as a WorkloadSource (see types.ts). */
export function dockerSource(o: DockerSourceOptions): WorkloadSource {
  const released = new Subject<string>();
  const state$ = new Observable<WorkloadSourceState>((sub) => {
    const api = o.api ?? new HttpDockerApi({ socketPath: o.socketPath });
    const log = o.logger.child({ runtime: DOCKER_RUNTIME, socket: o.socketPath });
    const normalise = o.normalise ?? ((p: string) => p);
    const max = o.maxContainers ?? 10_000;
    const maxPending = o.maxPendingEvents ?? 10_000;
    let byId = new Map<string, WorkloadInfo>();
    const health = new LinkHealth(DOCKER_RUNTIME, o);
    /** Per container: a counter bumped by every event, so a late inspect never overwrites a newer fact. */
    const seq = new Map<string, number>();

    const emit = (): void => {
      const workloads = new Map<string, WorkloadInfo>();
      for (const w of byId.values()) workloads.set(w.netnsPath, w);
      sub.next(health.state(workloads));
    };
    const fields = (w: WorkloadInfo | undefined, id: string) => ({ container: w?.name, containerId: id.slice(0, 12) });

    const inspect = async (id: string, g: number): Promise<void> => {
      const n = (seq.get(id) ?? 0) + 1;
      seq.set(id, n);
      let v: unknown;
      try {
        v = await api.getJson(`/containers/${id}/json`);
      } catch (err) {
        log.debug({ containerId: id.slice(0, 12), err: (err as Error).message }, 'docker: inspect failed (the next listing repairs it)');
        return;
      }
      if (!loop.current(g) || seq.get(id) !== n) return;
      seq.delete(id);
      const p = v === undefined ? { ok: false as const, reason: 'gone' } : parseContainer(v, normalise);
      const was = byId.get(id);
      if (p.ok) {
        const w = p.workload;
        if (was && was.netnsPath === w.netnsPath && was.state === w.state && was.name === w.name && sameLabels(was.labels, w.labels)) return;
        byId.set(id, w);
        log.debug({ ...fields(w, id), state: w.state, networkMode: w.networkMode, netns: w.netnsPath }, 'docker: container updated');
      } else {
        if (!was) return;
        byId.delete(id);
        log.debug({ ...fields(was, id), reason: p.reason }, 'docker: container no longer has a namespace');
        if (was.state !== 'stopped') released.next(was.netnsPath);
      }
      emit();
    };

    const handle = (raw: unknown, g: number): void => {
      const ev = parseEvent(raw);
      if (!ev || g !== loop.generation) return;
      const { action, id } = ev;
      const was = byId.get(id);
      if (action === 'destroy') {
        seq.set(id, (seq.get(id) ?? 0) + 1);
        if (!was) return;
        byId.delete(id);
        log.debug(fields(was, id), 'docker: container removed');
        if (was.state !== 'stopped') released.next(was.netnsPath);
        emit();
      } else if (STOPPED_ON.has(action)) {
        seq.set(id, (seq.get(id) ?? 0) + 1);
        if (!was || was.state === 'stopped') return;
        byId.set(id, { ...was, state: 'stopped' });
        log.debug({ ...fields(was, id), action }, 'docker: container stopped');
        released.next(was.netnsPath);
        emit();
      } else if (INSPECT_ON.has(action)) {
        void inspect(id, g);
      }
    };

    /** One connection: the event stream first (events meanwhile wait), then a listing with an inspect of each container. */
    const session = async (g: number): Promise<void> => {
      const pending: unknown[] = [];
      let syncing = true;
      const s = await api.openEvents(EVENTS_PATH, (ev) => {
        if (!syncing) return handle(ev, g);
        pending.push(ev);
        if (pending.length > maxPending) loop.lost(new RuntimeApiError(DOCKER_RUNTIME, 'too-large', '/events', `more than ${maxPending} events during a listing`), g);
      }, (err) => loop.lost(err, g));
      if (!loop.attach(g, s)) return;
      const listing = listedIds(await api.getJson('/containers/json?all=1'), max);
      if (listing.truncated) log.warn({ max }, 'docker: more containers than nsvswitch reads; the rest are not known (their namespaces wait)');
      const next = new Map<string, WorkloadInfo>();
      let skipped = 0;
      await mapLimit(listing.ids, o.inspectConcurrency ?? 8, async (id) => {
        const v = await api.getJson(`/containers/${id}/json`);
        if (v === undefined) return;
        const p = parseContainer(v, normalise);
        if (p.ok) next.set(id, p.workload);
        else if (p.reason !== 'no namespace (not running)') skipped++;
      });
      if (!loop.current(g)) return;
      byId = next;
      seq.clear();
      const reconnected = health.up()?.reconnected ?? true;
      syncing = false;
      log.info({ containers: listing.ids.length, withNamespace: next.size, skipped, reconnected }, 'docker: connected, containers listed');
      emit();
      for (const ev of pending.splice(0)) handle(ev, g);
    };

    const loop = new ReconnectLoop({
      health, log, session, emit,
      outage: { warning: 'docker API unreachable: ports in place are kept, new containers wait; reconnecting', quiet: 'docker API still unreachable', known: () => ({ containers: byId.size }) },
    });
    loop.start();
    return () => loop.stop();
  });
  return { runtime: DOCKER_RUNTIME, netnsDirs: o.netnsDirs, state$, released$: released.asObservable() };
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k] === b[k]);
}
