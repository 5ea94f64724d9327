import { realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Maps a namespace file path to one spelling, so that a runtime's SandboxKey (/var/run/docker/netns/X)
 * and the watched directory (/run/docker/netns) name the same file the same way: the directory is
 * resolved (symbolic links such as /var/run → /run), the file name kept. Resolved directories are
 * cached; a directory that does not exist yet is tried again next time.
 */
export function pathNormaliser(): (path: string) => string {
  const dirs = new Map<string, string>();
  return (path) => {
    const dir = dirname(path);
    let real = dirs.get(dir);
    if (real === undefined) {
      try {
        real = realpathSync(dir);
        if (dirs.size < 1024) dirs.set(dir, real);
      } catch {
        real = dir;
      }
    }
    return join(real, basename(path));
  };
}
