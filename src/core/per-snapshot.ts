import type { PortRecordSource } from './owned-ports.js';

/**
 * `read` remembered per snapshot and bridge: replica snapshots are immutable, so what is read from one
 * stays true, and a pass (with its triggers) that asks several times walks the bridge's ports once.
 * Held weakly: a snapshot no longer referenced takes its results with it.
 */
export function perSnapshot<T>(read: (db: PortRecordSource, bridge: string) => T): (db: PortRecordSource, bridge: string) => T {
  const cache = new WeakMap<PortRecordSource, Map<string, T>>();
  return (db, bridge) => {
    let perBridge = cache.get(db);
    if (!perBridge) cache.set(db, (perBridge = new Map()));
    if (perBridge.has(bridge)) return perBridge.get(bridge) as T;
    const value = read(db, bridge);
    perBridge.set(bridge, value);
    return value;
  };
}
