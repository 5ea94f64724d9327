import { basename, sep } from 'node:path';
import type { WorkloadJoin, WorkloadSourceState } from './types.js';

/** A runtime's state and the directories where it pins namespace files. */
export interface RuntimeView {
  readonly netnsDirs: readonly string[];
  readonly state: WorkloadSourceState | undefined;
  readonly runtime: string;
  /** Which file names there are the runtime's (absent: all). */
  readonly claims?: (fileName: string) => boolean;
}

function inDir(path: string, dir: string): boolean {
  const d = dir.endsWith(sep) ? dir : dir + sep;
  return path.startsWith(d) && !path.slice(d.length).includes(sep);
}

/**
 * Whose namespace a file is (pure). A file some runtime lists is that
 * workload's, wherever it lies; a file in a runtime's directory that the
 * runtime does not list (yet) is unknown; anything else is a plain namespace.
 */
export function joinWorkload(nsPath: string, runtimes: readonly RuntimeView[]): WorkloadJoin {
  for (const r of runtimes) {
    const w = r.state?.workloads.get(nsPath);
    if (w) return { kind: 'known', workload: w };
  }
  for (const r of runtimes) {
    if (r.netnsDirs.some((d) => inDir(nsPath, d)) && (r.claims?.(basename(nsPath)) ?? true)) return { kind: 'unknown', runtime: r.runtime, connected: r.state?.connected ?? false, synced: r.state?.synced ?? false };
  }
  return { kind: 'none' };
}
