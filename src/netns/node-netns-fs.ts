import { watch as fsWatch } from 'node:fs';
import { readdir, stat, statfs } from 'node:fs/promises';
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

/** Probes one path: an nsfs mount (ready), a plain file (pending) or nothing (gone). */
export async function probePath(path: string, nsDev: Promise<bigint | undefined> = nsfsDev()): Promise<Probe> {
  try {
    let st = await stat(path, { bigint: true });
    let ready = st.dev === (await nsDev);
    if (!ready) {
      // Not on the nsfs device we know: ask the file system itself (the documented test).
      ready = Number((await statfs(path)).type) === NSFS_MAGIC;
      if (ready) st = await stat(path, { bigint: true });
    }
    if (ready) return { state: 'ready', inode: Number(st.ino), incarnation: `${st.ino}:${st.ctimeNs}` };
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
