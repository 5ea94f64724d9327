import { catchError, combineLatest, defer, filter, map, merge, Observable, of, switchMap, tap } from 'rxjs';
import { dirname, join, resolve } from 'node:path';
import { namespaceKey, type NamespaceEvent, type NamespaceInfo } from './types.js';
import { DEFAULTS, resolveOptions, type WatchNamespacesOptions } from './options.js';
import { dirEvents$ } from './dir-source.js';
import { dedupeIncarnations } from './operators/dedupe-incarnations.js';
import { admitNamespaces } from './operators/admit-namespaces.js';
import { admitAll, type ProtectedNamespace } from './admission.js';
import type { Found, Probe } from './observation.js';
import { probePath } from './node-netns-fs.js';
import { readdir, stat } from 'node:fs/promises';
import { ProtectedNamespaceUnreadableError } from './errors/protected-namespace-unreadable-error.js';
import type { NamespaceRefusedError } from './errors/namespace-refused-error.js';

export type { NamespaceEvent, NamespaceInfo } from './types.js';
export { namespaceKey } from './types.js';
export type { WatchNamespacesOptions } from './options.js';
export { DEFAULTS as NAMESPACE_WATCH_DEFAULTS } from './options.js';
export type { NetnsFs, DirListing } from './netns-fs.js';
export { nodeNetnsFs } from './node-netns-fs.js';
export { NSFS_MAGIC } from './nsfs.js';
export { NamespaceDirUnreadableError } from './errors/namespace-dir-unreadable-error.js';
export { NamespaceNotMountedError } from './errors/namespace-not-mounted-error.js';
export { NamespaceWatchError } from './errors/namespace-watch-error.js';
export { NamespaceRefusedError, type RefusalReason } from './errors/namespace-refused-error.js';
export { NamespaceSymlinkError } from './errors/namespace-symlink-error.js';
export { HostNamespaceFileError } from './errors/host-namespace-file-error.js';
export { NamespaceAliasError } from './errors/namespace-alias-error.js';
export { ProtectedNamespaceUnreadableError } from './errors/protected-namespace-unreadable-error.js';

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? 'EUNKNOWN';
}

/** The namespaces never handed to a tenant: the agent's own, and the configured host namespace. */
function protectedPaths(ownNetns: string, hostNetns: string | undefined): { path: string; which: 'agent' | 'host' }[] {
  return [{ path: ownNetns, which: 'agent' }, ...(hostNetns !== undefined ? [{ path: hostNetns, which: 'host' as const }] : [])];
}

/**
 * Namespace added/removed events for the given directories. Cold: each
 * subscription reads the identity of the agent's own and the host
 * namespace, scans every directory, then follows inotify, readiness
 * re-checks and periodic rescans. Refused files (symbolic links, the
 * agent's or host namespace, aliases of a known namespace) never produce
 * events: one warning each, and `onRefusal`. Never errors; problems are logged.
 */
export function watchNamespaces$(opts: WatchNamespacesOptions): Observable<NamespaceEvent> {
  return defer(() => {
    const o = resolveOptions(opts);
    const log = o.logger;
    const dirs = [...new Set(o.dirs.map((d) => resolve(d)))];
    const protected$ = combineLatest(
      protectedPaths(o.ownNetns, o.hostNetns).map((p) =>
        o.fs.nsId(p.path).pipe(
          map((nsId): ProtectedNamespace | undefined => ({ ...p, nsId })),
          catchError((err: unknown) => {
            log.warn({ err: new ProtectedNamespaceUnreadableError(p.path, p.which, errCode(err), { cause: err }), path: p.path }, 'cannot identify a namespace that must never be plugged');
            return of(undefined);
          }),
        ),
      ),
    );
    const refusal = (e: NamespaceRefusedError) => ({ err: e, path: e.path, namespace: e.namespace, reason: e.reason });
    // Docker pins the host namespace in its own directory ("default") once a host-network container exists: routine there.
    const runtimeDirs = new Set(o.runtimeDirs.map((d) => resolve(d)));
    const routine = (e: NamespaceRefusedError) =>
      (e.reason === 'host-namespace' || e.reason === 'agent-namespace') && runtimeDirs.has(resolve(dirname(e.path)));
    return protected$.pipe(
      switchMap((prot) => {
        const notLooked = new Set(dirs);
        if (notLooked.size === 0) o.onInitialScan();
        return merge(...dirs.map((d) => dirEvents$(d, o))).pipe(
          admitNamespaces(prot.filter((p): p is ProtectedNamespace => p !== undefined)),
          tap((s) => {
            switch (s.type) {
              case 'refused':
                // Routine: one info line with the message, no stack trace.
                if (routine(s.error)) log.info({ path: s.error.path, namespace: s.error.namespace, reason: s.error.reason, error: s.error.message }, 'namespace file is the host namespace pinned by a runtime: never plugged');
                else log.warn(refusal(s.error), 'refusing namespace file: it is never plugged');
                o.onRefusal(s.error.path, s.error);
                break;
              case 'refusal-updated':
                log.info(refusal(s.error), 'namespace file still refused, for a new reason');
                o.onRefusal(s.error.path, s.error);
                break;
              case 'refusal-cleared':
                log.info({ path: s.path }, 'namespace file no longer refused');
                o.onRefusal(s.path, undefined);
                break;
              case 'looked':
                // After the events of that look (they come first): the agent's start waits for this.
                if (notLooked.delete(s.dir) && notLooked.size === 0) o.onInitialScan();
                break;
              default:
                break;
            }
          }),
          filter((s): s is NamespaceEvent => s.type === 'added' || s.type === 'removed'),
          dedupeIncarnations(),
          tap((ev) => log.debug({ namespace: ev.ns.name, path: ev.ns.path, inode: ev.ns.inode, key: namespaceKey(ev.ns) }, `namespace ${ev.type}`)),
        );
      }),
    );
  });
}

/** dev:ino of a namespace path (following links), or undefined when it cannot be read. */
async function statNsId(path: string): Promise<string | undefined> {
  return stat(path, { bigint: true }).then((st) => `${st.dev}:${st.ino}`, () => undefined);
}

/**
 * One look at the directories (for CLIs and status): the namespaces that are
 * ready now and would be plugged, with the same refusals as the watch (in
 * path order: of aliases found together, the smallest path is admitted).
 * Missing or unreadable dirs count as empty.
 */
export async function scanNamespaces(dirs: readonly string[], opts: { hostNetns?: string; ownNetns?: string } = {}): Promise<NamespaceInfo[]> {
  const found: Found[] = [];
  for (const dir of [...new Set(dirs.map((d) => resolve(d)))]) {
    const names = await readdir(dir).catch(() => [] as string[]);
    // Bounded concurrency, as in the watch: a directory of 10,000 stray files is 10,000 probes, not 10,000 at once.
    const probes: { name: string; p: Probe }[] = [];
    for (let i = 0; i < names.length; i += DEFAULTS.probeConcurrency) {
      const chunk = names.slice(i, i + DEFAULTS.probeConcurrency);
      probes.push(...(await Promise.all(chunk.map(async (name) => ({ name, p: await probePath(join(dir, name)) })))));
    }
    const now = Date.now();
    for (const { name, p } of probes) {
      const file = { path: join(dir, name), name, dir, firstSeenMs: now };
      if (p.state === 'ready') found.push({ kind: 'namespace', ns: { ...file, inode: p.inode }, nsId: p.nsId });
      else if (p.state === 'symlink') found.push({ kind: 'symlink', ns: file, target: p.target });
    }
  }
  const prot: ProtectedNamespace[] = [];
  for (const p of protectedPaths(opts.ownNetns ?? DEFAULTS.ownNetns, opts.hostNetns)) {
    const nsId = await statNsId(p.path);
    if (nsId !== undefined) prot.push({ ...p, nsId });
  }
  return admitAll(found, prot).admitted;
}
