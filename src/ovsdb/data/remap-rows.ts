import { PersistentMap } from './persistent-map.js';
import type { Row, TableRows } from './row-types.js';

/**
 * Re-maps only the changed rows of one table into typed rows (O(change), structural sharing);
 * everything else keeps its identity. Shared by the typed replicas (Open_vSwitch, OVN).
 */
export function remapRows<T>(prev: ReadonlyMap<string, T>, rows: TableRows | undefined, changed: ReadonlySet<string> | undefined, reset: boolean, f: (r: Row) => T): ReadonlyMap<string, T> {
  if (!rows) return prev;
  if (reset) {
    const b = PersistentMap.empty<T>().builder();
    for (const [id, r] of rows) b.set(id, f(r));
    return b.build();
  }
  if (!changed || changed.size === 0) return prev;
  const next = (prev instanceof PersistentMap ? (prev as PersistentMap<T>) : PersistentMap.from(prev)).builder();
  for (const id of changed) {
    const r = rows.get(id);
    if (r) next.set(id, f(r));
    else next.delete(id);
  }
  return next.build();
}
