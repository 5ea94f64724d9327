import { defer, merge, Observable, tap } from 'rxjs';
import { join, resolve } from 'node:path';
import { namespaceKey, type NamespaceEvent, type NamespaceInfo } from './types.js';
import { resolveOptions, type WatchNamespacesOptions } from './options.js';
import { dirEvents$ } from './dir-source.js';
import { dedupeIncarnations } from './operators/dedupe-incarnations.js';
import { probePath } from './node-netns-fs.js';
import { readdir } from 'node:fs/promises';

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

/**
 * Namespace added/removed events for the given directories. Cold: each
 * subscription scans every directory, then follows inotify, readiness
 * re-checks and periodic rescans. Never errors; problems are logged.
 */
export function watchNamespaces$(opts: WatchNamespacesOptions): Observable<NamespaceEvent> {
  return defer(() => {
    const o = resolveOptions(opts);
    const dirs = [...new Set(o.dirs.map((d) => resolve(d)))];
    return merge(...dirs.map((d) => dirEvents$(d, o))).pipe(
      dedupeIncarnations(),
      tap((ev) => o.logger.debug({ namespace: ev.ns.name, path: ev.ns.path, inode: ev.ns.inode, key: namespaceKey(ev.ns) }, `namespace ${ev.type}`)),
    );
  });
}

/** One look at the directories (for CLIs and status): the namespaces that are ready now. Missing or unreadable dirs count as empty. */
export async function scanNamespaces(dirs: readonly string[]): Promise<NamespaceInfo[]> {
  const out: NamespaceInfo[] = [];
  for (const dir of [...new Set(dirs.map((d) => resolve(d)))]) {
    const names = await readdir(dir).catch(() => [] as string[]);
    const probes = await Promise.all(names.map(async (name) => ({ name, p: await probePath(join(dir, name)) })));
    const now = Date.now();
    for (const { name, p } of probes) {
      if (p.state === 'ready') out.push({ path: join(dir, name), name, dir, inode: p.inode, firstSeenMs: now });
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
