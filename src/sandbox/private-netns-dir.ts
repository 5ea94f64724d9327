import { mkdir, rm, readdir, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../exec/run.js';

/**
 * A directory of namespace files that is its own private mount point, the
 * way `ip netns` keeps /run/netns: `unshare --net=DIR/NAME` can then bind a
 * namespace onto a file there without the mount leaking to other peers.
 */
export class PrivateNetnsDir {
  private constructor(readonly dir: string) {}

  static async create(dir: string): Promise<PrivateNetnsDir> {
    await mkdir(dir, { recursive: true });
    await run('mount', ['--bind', dir, dir]);
    await run('mount', ['--make-private', dir]);
    return new PrivateNetnsDir(dir);
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Creates one namespace file per name (one process for all of them). */
  async add(...names: string[]): Promise<string[]> {
    const paths = names.map((n) => this.path(n));
    if (paths.length === 0) return paths;
    // Names travel as argv, never as script text.
    await run('bash', ['-c', 'set -e; for p in "$@"; do : > "$p"; unshare --net="$p" true; done', 'nsvs-add', ...paths]);
    return paths;
  }

  /** Unmounts and removes namespace files; missing ones are fine. */
  async remove(...names: string[]): Promise<void> {
    const paths = names.map((n) => this.path(n));
    if (paths.length === 0) return;
    await run('bash', ['-c', 'for p in "$@"; do umount -l "$p" 2>/dev/null; rm -f "$p"; done; true', 'nsvs-rm', ...paths]);
  }

  async list(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).sort();
    } catch {
      return [];
    }
  }

  /** Removes every namespace, then the mount and the directory itself. */
  async destroy(): Promise<void> {
    const names = await this.list();
    await this.remove(...names);
    await run('umount', ['-l', this.dir], { okExitCodes: [32, 1] });
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Writes a plain (non-namespace) file, for tests of stray files. */
  async addPlainFile(name: string): Promise<string> {
    const p = this.path(name);
    await writeFile(p, '');
    return p;
  }

  async exists(name: string): Promise<boolean> {
    return stat(this.path(name)).then(() => true, () => false);
  }
}
