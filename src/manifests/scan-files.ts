// Reads manifest files with a cache keyed by (inode, size, mtime), so periodic rescans of an
// unchanged directory cost one readdir and one stat per file, and reparse nothing. Before anything is
// read: the directory and each file must be safe to trust (strict-modes.ts), a file must fit
// MAX_FILE_BYTES and the directory MAX_DIR_BYTES; those checks run on every scan (a chmod changes
// neither size nor mtime).
import { createHash } from 'node:crypto';
import { constants as fsConstants, type Stats } from 'node:fs';
import { lstat, open, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isManifestFileName } from './fields.js';
import { MAX_DIR_BYTES, MAX_FILE_BYTES, formatBytes } from './limits.js';
import { parseManifestFile } from './parse-manifest.js';
import type { FileSnapshot } from './resolve-set.js';
import { insecureReason } from './strict-modes.js';

interface Cached {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly snapshot: FileSnapshot;
}

export interface ScannerOptions {
  /** Refuse a directory or file that another user could write (default true; see strict-modes.ts). */
  readonly strictModes?: boolean;
  /** The uid that may own them besides root (default: the process's). */
  readonly uid?: number;
  readonly maxFileBytes?: number;
  readonly maxDirBytes?: number;
}

/** A root that cannot be used: an errno code, or EINSECURE / ETOOBIG with a sentence in `reason`. */
export interface UnreadableRoot {
  readonly path: string;
  readonly code: string;
  readonly reason?: string;
}

export interface ScanResult {
  readonly files: FileSnapshot[];
  /** Roots (dirs or files given) that could not be read or may not be trusted. */
  readonly unreadable: readonly UnreadableRoot[];
}

function codeOf(e: unknown): string {
  return (e as NodeJS.ErrnoException | undefined)?.code ?? String(e);
}

type Stat = Stats;

export class ManifestScanner {
  private readonly cache = new Map<string, Cached>();
  private readonly strict: boolean;
  private readonly uid: number;
  private readonly maxFileBytes: number;
  private readonly maxDirBytes: number;

  constructor(opts: ScannerOptions = {}) {
    this.strict = opts.strictModes ?? true;
    this.uid = opts.uid ?? process.getuid?.() ?? 0;
    this.maxFileBytes = opts.maxFileBytes ?? MAX_FILE_BYTES;
    this.maxDirBytes = opts.maxDirBytes ?? MAX_DIR_BYTES;
  }

  /**
   * Current snapshots of the manifest files under `roots` (a dir: its *.yaml/*.yml files, not
   * recursive, dotfiles skipped; a file: that file). `force` lists paths to re-read even if their
   * stat is unchanged ('all' for every one); a file that vanishes mid-scan counts as deleted.
   */
  async scan(roots: readonly string[], force: ReadonlySet<string> | 'all' = new Set()): Promise<ScanResult> {
    const unreadable: UnreadableRoot[] = [];
    const paths: { path: string; st?: Stat }[] = [];
    for (const root of roots) {
      try {
        const st = await stat(root);
        if (!st.isDirectory()) {
          paths.push({ path: root, st });
          continue;
        }
        const why = this.strict ? insecureReason('manifest directory', root, st, this.uid) : undefined;
        if (why !== undefined) {
          unreadable.push({ path: root, code: 'EINSECURE', reason: why });
          continue;
        }
        const names = (await readdir(root)).filter(isManifestFileName).sort();
        const entries: { path: string; st?: Stat }[] = [];
        let total = 0;
        for (const n of names) {
          const path = join(root, n);
          try {
            const fst = await stat(path);
            if (!fst.isFile()) continue;
            entries.push({ path, st: fst });
            total += fst.size;
          } catch (e) {
            if (codeOf(e) !== 'ENOENT') entries.push({ path }); // read() reports the error
          }
        }
        if (total > this.maxDirBytes) {
          unreadable.push({ path: root, code: 'ETOOBIG', reason: `manifest directory ${root} holds ${formatBytes(total)} of manifests, more than the limit of ${formatBytes(this.maxDirBytes)}` });
          continue;
        }
        paths.push(...entries);
      } catch (e) {
        unreadable.push({ path: root, code: codeOf(e) });
      }
    }
    const files: FileSnapshot[] = [];
    const seen = new Set<string>();
    const dirChecks = new Map<string, string | undefined>();
    for (const { path, st } of paths) {
      if (seen.has(path)) continue;
      seen.add(path);
      const snap = await this.read(path, st, force === 'all' || force.has(path), dirChecks);
      if (snap) files.push(snap);
    }
    for (const path of this.cache.keys()) if (!seen.has(path)) this.cache.delete(path);
    return { files, unreadable };
  }

  /** Why a file (or, for a symlink, its target's directory) may not be trusted, or undefined. */
  private async trustFault(path: string, st: Stat, dirChecks: Map<string, string | undefined>): Promise<string | undefined> {
    if (!this.strict) return undefined;
    const own = insecureReason('manifest file', path, st, this.uid);
    if (own !== undefined) return own;
    if (!(await lstat(path)).isSymbolicLink()) return undefined;
    const dir = dirname(await realpath(path));
    if (!dirChecks.has(dir)) dirChecks.set(dir, insecureReason('directory', dir, await stat(dir), this.uid));
    const why = dirChecks.get(dir);
    return why === undefined ? undefined : `manifest file ${path} is a symlink into a directory that is not safe: ${why}`;
  }

  private async read(path: string, given: Stat | undefined, forced: boolean, dirChecks: Map<string, string | undefined>): Promise<FileSnapshot | undefined> {
    let st = given;
    try {
      st ??= await stat(path);
      if (!st.isFile()) return undefined;
      const fault = await this.trustFault(path, st, dirChecks);
      // Not cached: once the mode is fixed, the cached version (if any) is back as it was.
      if (fault !== undefined) return problemSnapshot(path, fault, `insecure:${fault}`, st.mtimeMs);
    } catch (e) {
      if (codeOf(e) === 'ENOENT') return undefined;
      return this.unreadableSnapshot(path, codeOf(e), st?.mtimeMs ?? 0);
    }
    if (st.size > this.maxFileBytes) return this.tooBig(path, st.size, st.mtimeMs);
    const cached = this.cache.get(path);
    if (!forced && cached && cached.ino === st.ino && cached.size === st.size && cached.mtimeMs === st.mtimeMs) return cached.snapshot;
    let bytes: Buffer | 'fifo' | 'too-big';
    try {
      bytes = await readBounded(path, st.size, this.maxFileBytes);
    } catch (e) {
      if (codeOf(e) === 'ENOENT') return undefined;
      return this.unreadableSnapshot(path, codeOf(e), st.mtimeMs);
    }
    if (bytes === 'fifo') return undefined;
    if (bytes === 'too-big') return this.tooBig(path, this.maxFileBytes + 1, st.mtimeMs);
    const text = bytes.toString('utf8');
    const hash = createHash('sha256').update(text).digest('hex');
    const snapshot: FileSnapshot =
      cached && cached.snapshot.hash === hash ? { ...cached.snapshot, mtimeMs: st.mtimeMs } : { parsed: parseManifestFile(path, text), hash, mtimeMs: st.mtimeMs };
    this.cache.set(path, { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, snapshot });
    return snapshot;
  }

  private tooBig(path: string, size: number, mtimeMs: number): FileSnapshot {
    const message = `file is ${size > this.maxFileBytes + 1 ? formatBytes(size) : `over ${formatBytes(this.maxFileBytes)}`}, more than the limit of ${formatBytes(this.maxFileBytes)} per manifest file: split it`;
    return problemSnapshot(path, message, `too-big:${size}:${mtimeMs}`, mtimeMs);
  }

  private unreadableSnapshot(path: string, code: string, mtimeMs: number): FileSnapshot {
    this.cache.delete(path);
    return problemSnapshot(path, `cannot read file: ${code}`, `unreadable:${code}`, mtimeMs);
  }
}

function problemSnapshot(path: string, message: string, hash: string, mtimeMs: number): FileSnapshot {
  return { parsed: { file: path, tenants: [], problems: [{ file: path, line: 0, message }] }, hash, mtimeMs };
}

/**
 * The file's bytes, at most `max` of them: never blocks on a FIFO swapped in after the stat (O_NONBLOCK,
 * then fstat), and never reads more than max + 1 bytes of a file that grew since.
 */
async function readBounded(path: string, expected: number, max: number): Promise<Buffer | 'fifo' | 'too-big'> {
  const fh = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  try {
    if (!(await fh.stat()).isFile()) return 'fifo';
    let buf = Buffer.alloc(Math.min(expected, max) + 1);
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > max) return 'too-big';
        const bigger = Buffer.alloc(Math.min(buf.length * 2, max + 1));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    if (n > max) return 'too-big';
    return buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}
