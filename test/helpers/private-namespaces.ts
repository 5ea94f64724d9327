import { closeSync, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrivateNetnsDir } from '../../src/sandbox/private-netns-dir.js';

/**
 * Network namespaces of a test's own (a private "host" and whatever else it names) under a temp dir of its own,
 * with descriptors opened on request; destroy() removes all of it, whatever was made before a failure.
 */
export class PrivateNamespaces {
  private readonly fds: number[] = [];

  private constructor(private readonly base: string, private readonly dir: PrivateNetnsDir, readonly paths: readonly string[]) {}

  /** `names` made in a fresh directory whose name starts with `label`; their paths in that order. */
  static async create(label: string, ...names: string[]): Promise<PrivateNamespaces> {
    const base = await mkdtemp(join(process.env.NSVS_TEST_ROOT ?? tmpdir(), label));
    let dir: PrivateNetnsDir | undefined;
    try {
      dir = await PrivateNetnsDir.create(join(base, 'netns'));
      return new PrivateNamespaces(base, dir, await dir.add(...names));
    } catch (err) {
      await dir?.destroy().catch(() => undefined);
      await rm(base, { recursive: true, force: true });
      throw err;
    }
  }

  /** A read-only descriptor of namespace file `path`, closed by destroy(). */
  fd(path: string): number {
    const fd = openSync(path, 'r');
    this.fds.push(fd);
    return fd;
  }

  async destroy(): Promise<void> {
    for (const fd of this.fds.splice(0)) closeSync(fd);
    await this.dir.destroy();
    await rm(this.base, { recursive: true, force: true });
  }
}
