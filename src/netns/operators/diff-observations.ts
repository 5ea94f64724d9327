import { defer, mergeMap, type OperatorFunction } from 'rxjs';
import { join } from 'node:path';
import type { NamespaceEvent, NamespaceInfo } from '../types.js';
import type { Observation } from '../observation.js';

interface Known {
  readonly info: NamespaceInfo;
  readonly incarnation: string;
}

/**
 * Turns looks at directories (full rescans and single-file probes alike)
 * into added/removed events against what is already known: level-triggered,
 * so a missed inotify event, a re-mount with a new inode or an umount
 * without unlink all come out right on the next look.
 */
export function diffObservations(): OperatorFunction<Observation, NamespaceEvent> {
  return (source) =>
    defer(() => {
      const known = new Map<string, Map<string, Known>>();
      return source.pipe(mergeMap((obs) => diffOne(known, obs)));
    });
}

function diffOne(known: Map<string, Map<string, Known>>, obs: Observation): NamespaceEvent[] {
  let inDir = known.get(obs.dir);
  if (!inDir) known.set(obs.dir, (inDir = new Map()));
  const out: NamespaceEvent[] = [];
  const remove = (name: string, k: Known): void => {
    inDir.delete(name);
    out.push({ type: 'removed', ns: k.info });
  };
  for (const [name, probe] of obs.entries) {
    const was = inDir.get(name);
    if (probe.state === 'unknown') continue;
    if (probe.state !== 'ready') {
      if (was) remove(name, was);
      continue;
    }
    if (was?.incarnation === probe.incarnation) continue;
    if (was) remove(name, was);
    const info: NamespaceInfo = { path: join(obs.dir, name), name, dir: obs.dir, inode: probe.inode, firstSeenMs: obs.atMs };
    inDir.set(name, { info, incarnation: probe.incarnation });
    out.push({ type: 'added', ns: info });
  }
  if (obs.full) {
    for (const [name, was] of [...inDir]) if (!obs.entries.has(name)) remove(name, was);
  }
  return out;
}
