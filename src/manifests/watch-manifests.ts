// Hot reload: the manifest directory as an Observable of tenant sets. fs.watch gives promptness, a
// periodic rescan gives certainty (missed events, a directory created later, swapped symlinks).
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { Observable, Subject, asyncScheduler, debounceTime, interval, merge, type SchedulerLike, type Subscription } from 'rxjs';
import { silentLogger, type Logger } from '../observe/logger.js';
import type { ManifestProblem, TenantSet } from './types.js';
import { resolveTenantSet, type AcceptedVersion } from './resolve-set.js';
import { ManifestScanner } from './scan-files.js';
import type { NamespaceRef } from './match-namespace.js';

/** Quiet time after the last file event before a reload (editors write in several steps). */
export const DEFAULT_DEBOUNCE_MS = 100;
/** Period of the safety-net rescan (stat only for unchanged files). */
export const DEFAULT_RESCAN_MS = 2_000;

export interface WatchManifestsOptions {
  readonly debounceMs?: number;
  readonly rescanMs?: number;
  readonly logger?: Logger;
  /** Called once per rejected file content (again only when the content or the reasons change). */
  readonly onRejected?: (file: string, problems: readonly ManifestProblem[]) => void;
  readonly scheduler?: SchedulerLike;
  /**
   * sshd-style StrictModes (default true): a manifest directory, or file, that another user could
   * write is refused (see strict-modes.ts): the directory as if unreadable (what is in force stays), a
   * file as a rejected file (its last good version stays).
   */
  readonly strictModes?: boolean;
  /**
   * The namespaces that exist now (the agent's current map). A new or changed file that would put one
   * of them into conflict is rejected as a whole; the namespace stays with its tenant.
   */
  readonly namespaces?: () => Iterable<NamespaceRef>;
  /** Each emission re-reads every file now, even those whose stat is unchanged (SIGHUP). */
  readonly reload$?: Observable<unknown>;
}

function fingerprint(set: TenantSet): string {
  return JSON.stringify([[...set.tenants.entries()], set.problems, set.files ?? []]);
}

/**
 * Emits the tenant set in force now, then a new one after every change that alters it. A file with
 * problems is rejected and its last good version stays in force; other files are not affected; a
 * deleted file's tenants go. Never errors: I/O failures are logged and retried on the next rescan.
 */
export function watchManifests$(dir: string, opts: WatchManifestsOptions = {}): Observable<TenantSet> {
  const log = (opts.logger ?? silentLogger()).child({ component: 'manifests', manifestDir: dir });
  const scheduler = opts.scheduler ?? asyncScheduler;
  return new Observable<TenantSet>((subscriber) => {
    const scanner = new ManifestScanner({ strictModes: opts.strictModes ?? true });
    let accepted: ReadonlyMap<string, AcceptedVersion> = new Map();
    const reported = new Map<string, string>();
    let lastFingerprint: string | undefined;
    let dirReadable: boolean | undefined;
    let dirty: Set<string> | 'all' = 'all';
    let running = false;
    let again = false;
    let closed = false;
    let watcher: FSWatcher | undefined;
    const events$ = new Subject<void>();

    const ensureWatcher = (): void => {
      if (watcher || closed) return;
      try {
        watcher = watch(dir, (_event, filename) => {
          if (dirty !== 'all') {
            if (filename) dirty.add(join(dir, filename.toString()));
            else dirty = 'all';
          }
          events$.next();
        });
        watcher.on('error', (err) => {
          log.debug({ err }, 'manifest directory watch failed; periodic rescans continue');
          watcher?.close();
          watcher = undefined;
        });
      } catch {
        watcher = undefined; // The directory does not exist (yet): the rescan retries.
      }
    };

    const pass = async (): Promise<void> => {
      const force = dirty;
      dirty = new Set();
      const { files, unreadable } = await scanner.scan([dir], force);
      if (closed) return;
      const readable = unreadable.length === 0;
      // A directory that exists but cannot be read says nothing about its files: the versions in force stay
      // (a failing disk or a broken mount must not unplug every workload). Only a readable listing, or the
      // directory being gone (ENOENT), removes them.
      const keep = unreadable.some((u) => u.code !== 'ENOENT');
      if (readable !== dirReadable) {
        if (!readable) log.warn({ code: unreadable[0]?.code, reason: unreadable[0]?.reason }, keep ? 'manifest directory cannot be read (or is refused); the tenants in force stay until it can' : 'manifest directory does not exist; no tenants until it does');
        else if (dirReadable === false) log.info('manifest directory readable again');
        dirReadable = readable;
      }
      const before = accepted;
      const present = new Set(files.map((f) => f.parsed.file));
      const kept = keep ? [...accepted].filter(([file]) => !present.has(file)).map(([, v]) => ({ parsed: v.parsed, hash: v.hash, mtimeMs: 0 })) : [];
      const r = resolveTenantSet(accepted, [...files, ...kept], { namespaces: [...(opts.namespaces?.() ?? [])] });
      accepted = r.accepted;
      for (const [file, version] of accepted) {
        if (before.get(file)?.hash !== version.hash) log.info({ file, tenants: version.parsed.tenants.map((t) => t.tenant.name) }, 'manifest file in force');
      }
      for (const file of before.keys()) if (!accepted.has(file)) log.info({ file }, 'manifest file removed; its tenants are gone');
      for (const [file, rej] of r.rejected) {
        const key = `${rej.hash}\n${rej.problems.map((p) => `${p.line}:${p.message}`).join('\n')}`;
        if (reported.get(file) === key) continue;
        reported.set(file, key);
        const lastGood = accepted.has(file);
        log.warn({ file, problems: rej.problems, lastGoodInForce: lastGood }, lastGood ? 'manifest file rejected; its last good version stays in force' : 'manifest file rejected');
        opts.onRejected?.(file, rej.problems);
      }
      for (const file of [...reported.keys()]) if (!r.rejected.has(file)) reported.delete(file);
      const set: TenantSet = readable
        ? r.set
        : { ...r.set, problems: [...r.set.problems, { file: dir, line: 0, message: unreadable[0]?.reason ?? `cannot read manifest directory: ${unreadable[0]?.code ?? 'unknown error'}` }], ...(keep ? { unreadable: true } : {}) };
      const fp = fingerprint(set);
      if (fp !== lastFingerprint) {
        lastFingerprint = fp;
        subscriber.next(set);
      }
    };

    // One pass at a time; a request during a pass runs one more pass after it.
    const request = (): void => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      void (async () => {
        do {
          again = false;
          ensureWatcher();
          try {
            await pass();
          } catch (err) {
            log.error({ err }, 'manifest rescan failed; retrying on the next rescan');
            dirty = 'all';
          }
        } while (again && !closed);
        running = false;
      })();
    };

    const subs: Subscription = merge(events$.pipe(debounceTime(opts.debounceMs ?? DEFAULT_DEBOUNCE_MS, scheduler)), interval(opts.rescanMs ?? DEFAULT_RESCAN_MS, scheduler)).subscribe(() => request());
    if (opts.reload$) {
      subs.add(opts.reload$.subscribe(() => {
        dirty = 'all';
        request();
      }));
    }
    request();
    return () => {
      closed = true;
      subs.unsubscribe();
      watcher?.close();
      events$.complete();
    };
  });
}
