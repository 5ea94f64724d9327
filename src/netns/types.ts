/** A network namespace file as nsvswitch sees it. Identity = path + inode. */
export interface NamespaceInfo {
  /** Absolute path of the namespace file, e.g. /run/netns/blue-1. */
  readonly path: string;
  /** File name (untrusted: may hold spaces, unicode, shell metacharacters). */
  readonly name: string;
  /** Directory it was found in (one of the watched dirs). */
  readonly dir: string;
  /** nsfs inode of the namespace (st_ino of the mounted file). */
  readonly inode: number;
  /** When nsvswitch first saw it ready (ms since epoch), for attach latency. */
  readonly firstSeenMs: number;
}

export type NamespaceEvent =
  | { readonly type: 'added'; readonly ns: NamespaceInfo }
  | { readonly type: 'removed'; readonly ns: NamespaceInfo };

/** First seen first (then by path and inode): the order newcomers are addressed and plugged in. */
export function byFirstSeen(a: Pick<NamespaceInfo, 'firstSeenMs' | 'path' | 'inode'>, b: Pick<NamespaceInfo, 'firstSeenMs' | 'path' | 'inode'>): number {
  return a.firstSeenMs - b.firstSeenMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : a.inode - b.inode);
}

/** Stable key of one namespace incarnation. */
export function namespaceKey(ns: Pick<NamespaceInfo, 'path' | 'inode'>): string {
  return `${ns.path}#${ns.inode}`;
}
