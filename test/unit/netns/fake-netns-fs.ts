import { dirname } from 'node:path';
import { defer, Observable, of, Subject, throwError, timer, map, type SchedulerLike } from 'rxjs';
import pino from 'pino';
import type { NetnsFs, DirListing } from '../../../src/netns/netns-fs.js';
import type { Probe } from '../../../src/netns/observation.js';
import type { Logger } from '../../../src/observe/logger.js';

type Entry = { kind: 'ns'; inode: number; gen: number } | { kind: 'file'; id: number } | { kind: 'link'; id: number; target: string };

/** The fake nsfs device: namespace identities are `${NSFS_DEV}:${inode}`. */
export const NSFS_DEV = 4;
/** Inode of the fake agent's own namespace (what `nsId('/proc/self/ns/net')` answers). */
export const OWN_NS_INODE = 4026531840;

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: fake`), { code });
}

/**
 * An in-memory namespace file system in virtual time: looks take `latencyMs`,
 * watchers are Subjects the test fires (or forgets to fire, like a lost
 * inotify event), and it counts what the source asked for.
 */
export class FakeNetnsFs implements NetnsFs {
  readonly dirs = new Map<string, Map<string, Entry>>();
  readonly unreadable = new Map<string, string>();
  readonly watchers = new Map<string, Set<Subject<string | null>>>();
  /** Whether mutations fire inotify hints (false: every event is lost). */
  inotify = true;
  /** Namespaces outside the watched dirs by path (dev:ino), for `nsId`: the agent's own by default. */
  readonly outside = new Map<string, string>([['/proc/self/ns/net', `${NSFS_DEV}:${OWN_NS_INODE}`]]);
  listCalls = 0;
  probeCalls = 0;
  private nextId = 1;
  private dirIds = new Map<string, number>();

  constructor(private readonly scheduler: SchedulerLike, private readonly latencyMs = 1) {}

  mkdir(dir: string): void {
    this.dirs.set(dir, new Map());
    this.dirIds.set(dir, this.nextId++);
    this.fire(dirname(dir), dir.slice(dirname(dir).length + 1));
  }

  rmdir(dir: string): void {
    this.dirs.delete(dir);
    this.fire(dir, null);
  }

  /** `: > FILE`: a plain file, not a namespace yet. */
  touch(dir: string, name: string): void {
    this.mustDir(dir).set(name, { kind: 'file', id: this.nextId++ });
    this.fire(dir, name);
  }

  /** Bind-mounts a namespace onto an existing file: no inotify event, like the kernel. */
  mount(dir: string, name: string, inode = 4026530000 + this.nextId++): void {
    if (!this.mustDir(dir).has(name)) throw new Error(`no file ${name}`);
    this.mustDir(dir).set(name, { kind: 'ns', inode, gen: this.nextId++ });
  }

  /** `ip netns add`: create, then mount at once. */
  add(dir: string, name: string, inode?: number): void {
    this.touch(dir, name);
    this.mount(dir, name, inode);
  }

  /** `ln -s TARGET DIR/NAME`. */
  symlink(dir: string, name: string, target: string): void {
    this.mustDir(dir).set(name, { kind: 'link', id: this.nextId++, target });
    this.fire(dir, name);
  }

  umount(dir: string, name: string): void {
    this.mustDir(dir).set(name, { kind: 'file', id: this.nextId++ });
  }

  rm(dir: string, name: string): void {
    this.mustDir(dir).delete(name);
    this.fire(dir, name);
  }

  watcherCount(dir: string): number {
    return this.watchers.get(dir)?.size ?? 0;
  }

  failWatch(dir: string, code = 'EIO'): void {
    for (const s of [...(this.watchers.get(dir) ?? [])]) s.error(errno(code));
  }

  listDir(dir: string): Observable<DirListing> {
    return this.later(() => {
      this.listCalls++;
      const bad = this.unreadable.get(dir);
      if (bad) throw errno(bad);
      const d = this.dirs.get(dir);
      if (!d) throw errno('ENOENT');
      return { id: `1:${this.dirIds.get(dir)}`, names: [...d.keys()] };
    });
  }

  probe(path: string): Observable<Probe> {
    return this.later((): Probe => {
      this.probeCalls++;
      const e = this.dirs.get(dirname(path))?.get(path.slice(dirname(path).length + 1));
      if (!e) return { state: 'gone' };
      if (e.kind === 'link') return { state: 'symlink', fileId: String(e.id), target: e.target };
      return e.kind === 'ns' ? { state: 'ready', inode: e.inode, incarnation: `${e.inode}:${e.gen}`, nsId: `${NSFS_DEV}:${e.inode}` } : { state: 'pending', fileId: String(e.id) };
    });
  }

  /** Answers at once (no latency), so adding it kept every virtual timing of the source. */
  nsId(path: string): Observable<string> {
    return defer(() => {
      const id = this.outside.get(path);
      if (id !== undefined) return of(id);
      const e = this.dirs.get(dirname(path))?.get(path.slice(dirname(path).length + 1));
      if (e?.kind !== 'ns') return throwError(() => errno('ENOENT'));
      return of(`${NSFS_DEV}:${e.inode}`);
    });
  }

  nearestExisting(path: string): Observable<string> {
    return this.later(() => {
      let p = dirname(path);
      while (p !== '/' && !this.dirs.has(p)) p = dirname(p);
      return p;
    });
  }

  watch(dir: string): Observable<string | null> {
    return new Observable<string | null>((subscriber) => {
      if (!this.dirs.has(dir)) {
        subscriber.error(errno('ENOENT'));
        return undefined;
      }
      const s = new Subject<string | null>();
      let set = this.watchers.get(dir);
      if (!set) this.watchers.set(dir, (set = new Set()));
      set.add(s);
      const sub = s.subscribe(subscriber);
      return () => {
        sub.unsubscribe();
        set.delete(s);
      };
    });
  }

  private fire(dir: string, name: string | null): void {
    if (!this.inotify) return;
    for (const s of [...(this.watchers.get(dir) ?? [])]) s.next(name);
  }

  private mustDir(dir: string): Map<string, Entry> {
    const d = this.dirs.get(dir);
    if (!d) throw new Error(`no dir ${dir}`);
    return d;
  }

  private later<T>(f: () => T): Observable<T> {
    return timer(this.latencyMs, this.scheduler).pipe(map(f));
  }
}

/** A pino logger that keeps its records, to assert on warnings. */
export function recordingLogger(): { logger: Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, records };
}
