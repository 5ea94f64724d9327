import { basename, dirname, join, relative } from 'node:path';
import {
  catchError, defer, distinctUntilChanged, EMPTY, filter, from, ignoreElements, interval, map, merge, mergeMap,
  Observable, of, repeat, retry, share, Subject, switchMap, tap, timer, toArray,
} from 'rxjs';
import { FULL_SCAN, LISTING_SCAN, type DirState, type FoundEvent, type Observation, type Probe, type ScanRequest } from './observation.js';
import { foldRequest, type ScanBatch } from './scan-batch.js';
import type { ResolvedOptions } from './options.js';
import { coalesceRequests } from '../reconcile/coalesce-requests.js';
import { debounceMaxWait } from './operators/debounce-max-wait.js';
import { diffObservations } from './operators/diff-observations.js';
import { readinessRetry } from './operators/readiness-retry.js';
import { backoffDelay } from '../reconcile/backoff.js';
import { NamespaceDirUnreadableError } from './errors/namespace-dir-unreadable-error.js';
import { NamespaceNotMountedError } from './errors/namespace-not-mounted-error.js';
import { NamespaceWatchError } from './errors/namespace-watch-error.js';

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? 'EUNKNOWN';
}

function sameState(a: DirState, b: DirState): boolean {
  if (a.kind === 'ok' && b.kind === 'ok') return a.id === b.id;
  if (a.kind === 'missing' && b.kind === 'missing') return a.ancestor === b.ancestor;
  if (a.kind === 'unreadable' && b.kind === 'unreadable') return a.code === b.code;
  return false;
}

/**
 * Files found and lost in one directory (namespace mounts and symbolic
 * links; admission, across directories, decides what is plugged). Every look at the directory goes
 * through one serial, coalescing queue (initial scan, inotify hints,
 * readiness re-checks, periodic and repair rescans), and the events are the
 * diff of those looks against what is known: inotify only decides *when*
 * to look, never *what* exists.
 */
export function dirEvents$(dir: string, o: ResolvedOptions): Observable<FoundEvent> {
  const { fs, scheduler, logger } = o;
  const log = logger.child({ dir });

  const look = (entries: Map<string, Probe>, full: boolean, dirState?: DirState): Observation => ({
    dir, full, entries, ...(dirState ? { dirState } : {}), atMs: scheduler.now(),
  });

  const probeAll = (names: Iterable<string>): Observable<Map<string, Probe>> =>
    from(names).pipe(
      mergeMap((name) => fs.probe(join(dir, name)).pipe(
        catchError((err: unknown) => of<Probe>({ state: 'unknown', code: errCode(err) })),
        map((p) => [name, p] as const),
      ), o.probeConcurrency),
      toArray(),
      map((pairs) => new Map(pairs)),
    );

  /**
   * The names the looks so far found in the directory (any state but gone), each with whether the last
   * probe found a namespace mount: what a listing look compares the directory's listing with.
   */
  const known = new Map<string, boolean>();
  const remember = (obs: Observation): void => {
    if (obs.full) known.clear();
    for (const [name, p] of obs.entries) {
      if (p.state === 'gone') known.delete(name);
      else known.set(name, p.state === 'ready');
    }
  };

  /**
   * Lists the directory and looks at what `probeNames` picks from the listing; a directory gone or
   * unreadable is observed as such. Only a full look says the directory is fine (`looked` follows it:
   * every file in it has been looked at).
   */
  const listed = (full: boolean, probeNames: (names: readonly string[]) => Iterable<string>): Observable<Observation> =>
    fs.listDir(dir).pipe(
      mergeMap((listing) => probeAll(probeNames(listing.names)).pipe(map((entries) => look(entries, full, full ? { kind: 'ok', id: listing.id } : undefined)))),
      catchError((err: unknown) => {
        const code = errCode(err);
        if (code !== 'ENOENT') return of(look(new Map(), false, { kind: 'unreadable', code, message: String((err as Error)?.message ?? err) }));
        // Gone or not created yet: nothing in it exists any more.
        return fs.nearestExisting(dir).pipe(map((ancestor) => look(new Map(), true, { kind: 'missing', ancestor })));
      }),
      catchError((err: unknown) => of(look(new Map(), false, { kind: 'unreadable', code: errCode(err), message: String(err) }))),
    );

  const fullScan = (): Observable<Observation> => listed(true, (names) => names);

  /**
   * A listing look: the names asked for, the names listed that no look has found, the names found that are
   * no longer listed, and every name whose last probe did not find a namespace mount (plain files that may
   * be mounted since, links, failed probes: as a full scan would). Namespaces already found are not probed
   * again: a lost inotify event shows in the listing as a name appeared or vanished, at the cost of one
   * directory read instead of one probe per namespace (1000 per attach on a host with 1000 of them). A
   * namespace unmounted or replaced under the same name without an event waits for the periodic full scan,
   * as before.
   */
  const listingScan = (asked: ReadonlySet<string>): Observable<Observation> =>
    listed(false, (names) => {
      const pick = new Set(asked);
      const now = new Set(names);
      for (const n of names) if (known.get(n) !== true) pick.add(n);
      for (const n of known.keys()) if (!now.has(n)) pick.add(n);
      return pick;
    });

  const execute = (batch: ScanBatch): Observable<Observation> => {
    if (batch.full) return fullScan();
    if (batch.listing) return listingScan(batch.names);
    return probeAll(batch.names).pipe(map((e) => look(e, false)));
  };

  /** Re-arms a watch after a failure: report, rescan now (the watch may have missed events), retry later. */
  const rearm = <T>(what: string, request: (r: ScanRequest) => void) =>
    retry<T>({
      resetOnSuccess: true,
      delay: (err: unknown, count: number) => {
        log.warn({ err: new NamespaceWatchError(what, errCode(err), { cause: err }) }, 'namespace directory watch failed');
        request(FULL_SCAN);
        return timer(backoffDelay(count - 1, o.dirRetryMs, o.rescanIntervalMs), scheduler);
      },
    });

  /** What to watch in each directory state; emits scan requests. */
  const watchFor = (state: DirState, request: (r: ScanRequest) => void): Observable<ScanRequest> => {
    switch (state.kind) {
      case 'ok': {
        const hints$ = fs.watch(dir).pipe(share());
        return merge(
          o.fileHints ? hints$.pipe(filter((n): n is string => n !== null && n !== ''), map((n): ScanRequest => ({ kind: 'names', names: new Set([n]) }))) : EMPTY,
          hints$.pipe(debounceMaxWait(o.burstQuietMs, o.burstMaxWaitMs, scheduler), map(() => LISTING_SCAN)),
          // Whatever appeared between the last scan and this watch taking hold.
          of(FULL_SCAN),
        ).pipe(rearm(dir, request));
      }
      case 'missing': {
        const next = relative(state.ancestor, dir).split('/')[0];
        return merge(
          fs.watch(state.ancestor).pipe(filter((n) => n === null || n === next), map(() => FULL_SCAN)),
          of(FULL_SCAN),
        ).pipe(rearm(state.ancestor, request));
      }
      case 'unreadable': {
        let attempt = 0;
        return defer(() => timer(backoffDelay(attempt++, o.dirRetryMs, o.rescanIntervalMs), scheduler)).pipe(repeat(), map(() => FULL_SCAN));
      }
    }
  };

  const logState = (state: DirState): void => {
    o.onDirState?.(dir, state.kind, state.kind === 'unreadable' ? `${state.code}: ${state.message}` : undefined);
    if (state.kind === 'ok') log.info('watching namespace directory');
    else if (state.kind === 'missing') log.info({ ancestor: state.ancestor }, 'namespace directory does not exist yet; watching its nearest existing parent for it');
    else log.error({ err: new NamespaceDirUnreadableError(dir, state.code, state.message) }, 'namespace directory unreadable');
  };

  return defer(() => {
    const requests = new Subject<ScanRequest>();
    const request = (r: ScanRequest): void => requests.next(r);
    const observations$ = requests.pipe(coalesceRequests(execute, foldRequest), tap(remember), share());

    const events$ = observations$.pipe(diffObservations());
    const readiness$ = observations$.pipe(
      readinessRetry({
        firstMs: o.readinessRetryMs, maxStepMs: o.readinessMaxStepMs, maxWaitMs: o.readinessMaxWaitMs,
        maxTracked: o.readinessMaxFiles, maxRemembered: o.strayFilesRemembered, reportMaxDelayMs: o.rescanIntervalMs, scheduler,
        mountChanges$: o.mountChanges$,
      }),
      tap((sig) => {
        if (sig.type === 'recheck') request({ kind: 'names', names: sig.names });
        else {
          const { report } = sig;
          // A runtime's directory keeps stopped containers' files, unmounted: routine, one info line.
          if (o.runtimeDirs.includes(dir)) {
            log.info({ count: report.count, namespaces: report.examples }, `ignoring ${report.count} stale file${report.count === 1 ? '' : 's'} (unmounted by the container runtime)`);
            return;
          }
          log.warn(
            { err: new NamespaceNotMountedError(dir, report, o.readinessMaxWaitMs), count: report.count, namespaces: report.examples },
            report.count === 1 ? 'ignoring a file that is not a namespace' : `ignoring ${report.count} files that are not namespaces`,
          );
        }
      }),
      ignoreElements(),
    );
    const watch$ = observations$.pipe(
      map((obs) => obs.dirState),
      filter((s): s is DirState => s !== undefined),
      distinctUntilChanged(sameState),
      tap(logState),
      switchMap((state) => watchFor(state, request)),
      tap(request),
      ignoreElements(),
    );
    const periodic$ = interval(o.rescanIntervalMs, scheduler).pipe(tap(() => request(FULL_SCAN)), ignoreElements());
    const recheck$ = o.recheck$.pipe(
      filter((p) => dirname(p) === dir),
      tap((p) => request({ kind: 'names', names: [basename(p)] })),
      ignoreElements(),
    );
    const start$ = defer(() => {
      request(FULL_SCAN);
      return EMPTY;
    });
    return merge(events$, readiness$, watch$, periodic$, recheck$, start$);
  });
}
