import { constants, watch as fsWatch } from 'node:fs';
import { lstat, open, readdir, readlink, stat, statfs, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { defer, from, Observable } from 'rxjs';
import type { Probe } from './observation.js';
import type { NetnsFs } from './netns-fs.js';
import { NSFS_MAGIC } from './nsfs.js';

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? 'EUNKNOWN';
}

/** The device number of nsfs (one superblock per kernel), so a single stat tells a mounted namespace. */
function nsfsDev(): Promise<bigint | undefined> {
  cachedNsfsDev ??= stat('/proc/self/ns/net', { bigint: true }).then((st) => st.dev, () => undefined);
  return cachedNsfsDev;
}
let cachedNsfsDev: Promise<bigint | undefined> | undefined;

async function symlinkProbe(path: string, st: { dev: bigint; ino: bigint; ctimeNs: bigint }): Promise<Probe> {
  const target = await readlink(path).catch((err: unknown) => `(unreadable: ${errCode(err)})`);
  return { state: 'symlink', fileId: `${st.dev}:${st.ino}:${st.ctimeNs}`, target };
}

/**
 * Probes one path without following links (lstat): an nsfs mount (ready), a
 * symbolic link (refused by admission, whatever it points to), a plain file
 * (pending) or nothing (gone).
 */
export async function probePath(path: string, nsDev: Promise<bigint | undefined> = nsfsDev()): Promise<Probe> {
  try {
    let st = await lstat(path, { bigint: true });
    if (st.isSymbolicLink()) return await symlinkProbe(path, st);
    const dev = await nsDev;
    let ready = st.dev === dev;
    // nsfs is one superblock for the whole kernel: with its device known, a file on another
    // device is not a namespace, and stray files cost one lstat each. Only when the device
    // could not be learnt, ask the file system itself (the documented test).
    if (!ready && dev === undefined) {
      ready = Number((await statfs(path)).type) === NSFS_MAGIC;
      if (ready) {
        st = await lstat(path, { bigint: true });
        // Swapped for a link between the two looks: statfs followed it.
        if (st.isSymbolicLink()) return await symlinkProbe(path, st);
      }
    }
    if (ready) return { state: 'ready', inode: Number(st.ino), nsId: `${st.dev}:${st.ino}`, incarnation: `${st.ino}:${st.ctimeNs}` };
    return { state: 'pending', fileId: `${st.dev}:${st.ino}:${st.ctimeNs}` };
  } catch (err) {
    const code = errCode(err);
    return code === 'ENOENT' || code === 'ENOTDIR' ? { state: 'gone' } : { state: 'unknown', code };
  }
}

/** The real file system: fs.promises for looks, fs.watch (inotify) for hints. */
export function nodeNetnsFs(): NetnsFs {
  return {
    listDir: (dir) =>
      defer(() =>
        from(
          (async () => {
            const st = await stat(dir);
            const names = await readdir(dir);
            return { id: `${st.dev}:${st.ino}`, names };
          })(),
        ),
      ),
    probe: (path) => defer(() => from(probePath(path))),
    nsId: (path) =>
      new Observable<string>((subscriber) => {
        let handle: FileHandle | undefined;
        let closed = false;
        // O_NONBLOCK: a FIFO configured by mistake must not hang the agent.
        open(path, constants.O_RDONLY | constants.O_NONBLOCK).then(
          async (h) => {
            if (closed) return void (await h.close().catch(() => undefined));
            handle = h;
            try {
              const st = await h.stat({ bigint: true });
              subscriber.next(`${st.dev}:${st.ino}`);
            } catch (err) {
              subscriber.error(err);
            }
          },
          (err: unknown) => subscriber.error(err),
        );
        return () => {
          closed = true;
          void handle?.close().catch(() => undefined);
        };
      }),
    nearestExisting: (path) =>
      defer(() =>
        from(
          (async () => {
            let p = dirname(path);
            while (p !== dirname(p)) {
              try {
                await stat(p);
                return p;
              } catch {
                p = dirname(p);
              }
            }
            return p;
          })(),
        ),
      ),
    watch: (dir) =>
      new Observable<string | null>((subscriber) => {
        let watcher: ReturnType<typeof fsWatch>;
        try {
          watcher = fsWatch(dir, { encoding: 'utf8' }, (_event, name) => subscriber.next(name ?? null));
        } catch (err) {
          subscriber.error(err);
          return undefined;
        }
        watcher.on('error', (err) => subscriber.error(err));
        return () => watcher.close();
      }),
  };
}
