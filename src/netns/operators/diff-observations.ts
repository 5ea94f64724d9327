import { defer, mergeMap, type OperatorFunction } from 'rxjs';
import { join } from 'node:path';
import type { Found, FoundEvent, Observation, Probe } from '../observation.js';

interface Known {
  readonly found: Found;
  /** What a later probe must show for the file to be unchanged: the namespace's incarnation, or the link's own identity. */
  readonly identity: string;
}

/**
 * Turns looks at directories (full rescans and single-file probes alike)
 * into added/removed events against what is already known: level-triggered,
 * so a missed inotify event, a re-mount with a new inode or an umount
 * without unlink all come out right on the next look. Symbolic links are
 * reported too (as `symlink`), for admission to refuse. Names are handled in
 * sorted order, so the events of one look are deterministic; a full look
 * with a directory state ends with `looked`.
 */
export function diffObservations(): OperatorFunction<Observation, FoundEvent> {
  return (source) =>
    defer(() => {
      const known = new Map<string, Map<string, Known>>();
      return source.pipe(mergeMap((obs) => diffOne(known, obs)));
    });
}

function identityOf(probe: Probe): string | undefined {
  if (probe.state === 'ready') return `ns:${probe.incarnation}`;
  if (probe.state === 'symlink') return `link:${probe.fileId}`;
  return undefined;
}

function diffOne(known: Map<string, Map<string, Known>>, obs: Observation): FoundEvent[] {
  let inDir = known.get(obs.dir);
  if (!inDir) known.set(obs.dir, (inDir = new Map()));
  const out: FoundEvent[] = [];
  const remove = (name: string, k: Known): void => {
    inDir.delete(name);
    out.push({ type: 'removed', found: k.found });
  };
  // Only names that can make an event, sorted: stray files (pending, not known) cost one check each, no sorting.
  const relevant: string[] = [];
  for (const [name, probe] of obs.entries) if (probe.state === 'ready' || probe.state === 'symlink' || inDir.has(name)) relevant.push(name);
  for (const name of relevant.sort()) {
    const probe = obs.entries.get(name) as Probe;
    const was = inDir.get(name);
    if (probe.state === 'unknown') continue;
    const identity = identityOf(probe);
    if (identity === undefined) {
      if (was) remove(name, was);
      continue;
    }
    if (was?.identity === identity) continue;
    if (was) remove(name, was);
    const file = { path: join(obs.dir, name), name, dir: obs.dir, firstSeenMs: obs.atMs };
    const found: Found = probe.state === 'ready'
      ? { kind: 'namespace', ns: { ...file, inode: probe.inode }, nsId: probe.nsId }
      : { kind: 'symlink', ns: file, target: probe.state === 'symlink' ? probe.target : '' };
    inDir.set(name, { found, identity });
    out.push({ type: 'added', found });
  }
  if (obs.full) {
    for (const [name, was] of [...inDir]) if (!obs.entries.has(name)) remove(name, was);
  }
  if (obs.dirState) out.push({ type: 'looked', dir: obs.dir });
  return out;
}
