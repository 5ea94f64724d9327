// Reads manifest files with a cache keyed by (inode, size, mtime), so periodic rescans of an
// unchanged directory cost one readdir and one stat per file, and reparse nothing.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isManifestFileName } from './fields.js';
import { parseManifestFile } from './parse-manifest.js';
import type { FileSnapshot } from './resolve-set.js';

interface Cached {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly snapshot: FileSnapshot;
}

export interface ScanResult {
  readonly files: FileSnapshot[];
  /** Roots (dirs or files given) that could not be read, with the errno code. */
  readonly unreadable: readonly { readonly path: string; readonly code: string }[];
}

function codeOf(e: unknown): string {
  return (e as NodeJS.ErrnoException | undefined)?.code ?? String(e);
}

export class ManifestScanner {
  private readonly cache = new Map<string, Cached>();

  /**
   * Current snapshots of the manifest files under `roots` (a dir: its *.yaml/*.yml files, not
   * recursive, dotfiles skipped; a file: that file). `force` lists paths to re-read even if their
   * stat is unchanged ('all' for every one); a file that vanishes mid-scan counts as deleted.
   */
  async scan(roots: readonly string[], force: ReadonlySet<string> | 'all' = new Set()): Promise<ScanResult> {
    const unreadable: { path: string; code: string }[] = [];
    const paths: string[] = [];
    for (const root of roots) {
      try {
        const st = await stat(root);
        if (!st.isDirectory()) {
          paths.push(root);
          continue;
        }
        const names = (await readdir(root)).filter(isManifestFileName).sort();
        paths.push(...names.map((n) => join(root, n)));
      } catch (e) {
        unreadable.push({ path: root, code: codeOf(e) });
      }
    }
    const files: FileSnapshot[] = [];
    const seen = new Set<string>();
    for (const path of paths) {
      if (seen.has(path)) continue;
      seen.add(path);
      const snap = await this.read(path, force === 'all' || force.has(path));
      if (snap) files.push(snap);
    }
    for (const path of this.cache.keys()) if (!seen.has(path)) this.cache.delete(path);
    return { files, unreadable };
  }

  private async read(path: string, forced: boolean): Promise<FileSnapshot | undefined> {
    let st;
    try {
      st = await stat(path);
    } catch (e) {
      if (codeOf(e) === 'ENOENT') return undefined;
      return this.unreadableSnapshot(path, codeOf(e), 0);
    }
    if (!st.isFile()) return undefined;
    const cached = this.cache.get(path);
    if (!forced && cached && cached.ino === st.ino && cached.size === st.size && cached.mtimeMs === st.mtimeMs) return cached.snapshot;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if (codeOf(e) === 'ENOENT') return undefined;
      return this.unreadableSnapshot(path, codeOf(e), st.mtimeMs);
    }
    const hash = createHash('sha256').update(text).digest('hex');
    const snapshot: FileSnapshot =
      cached && cached.snapshot.hash === hash ? { ...cached.snapshot, mtimeMs: st.mtimeMs } : { parsed: parseManifestFile(path, text), hash, mtimeMs: st.mtimeMs };
    this.cache.set(path, { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, snapshot });
    return snapshot;
  }

  private unreadableSnapshot(path: string, code: string, mtimeMs: number): FileSnapshot {
    this.cache.delete(path);
    return { parsed: { file: path, tenants: [], problems: [{ file: path, line: 0, message: `cannot read file: ${code}` }] }, hash: `unreadable:${code}`, mtimeMs };
  }
}
