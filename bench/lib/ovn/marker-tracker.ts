import type { InterfaceMonitor } from '../interface-monitor.js';
import type { InterfaceReplica, InterfaceRow } from '../interface-replica.js';
import { nowMs } from '../timing.js';

/** Which workload an Interface row belongs to (undefined: not one of the bench's). */
export type RowKey = (row: InterfaceRow) => string | undefined;

/** ovn-controller's mark on an Interface once the port's flows are installed. */
export const OVN_INSTALLED = 'ovn-installed';

/** True when the row carries `key=true` in its external_ids (ovn-installed, nsvswitch-installed). */
export function marked(row: InterfaceRow, key = OVN_INSTALLED): boolean {
  return row.externalIds[key] === 'true';
}

/**
 * Stamps `at` on every workload whose row carries the marker and has no
 * stamp yet; returns how many were new. The first update that shows the
 * marker is when it was set, as far as an OVSDB client can tell.
 */
export function stampMarked(replica: InterfaceReplica, at: number, stamps: Map<string, number>, keyOf: RowKey, marker: string): number {
  let added = 0;
  for (const row of replica.values()) {
    const key = keyOf(row);
    if (key === undefined || stamps.has(key) || !marked(row, marker)) continue;
    stamps.set(key, at);
    added++;
  }
  return added;
}

/**
 * First moment each workload's Interface carried a marker, fed by a host's
 * one `ovsdb-client monitor` (update times, not a polling loop's).
 */
export class MarkerTracker {
  readonly stamps = new Map<string, number>();
  private readonly off: () => void;

  constructor(private readonly monitor: InterfaceMonitor, private readonly keyOf: RowKey, private readonly marker = OVN_INSTALLED) {
    this.off = monitor.onUpdate((rep, at) => void stampMarked(rep, at, this.stamps, keyOf, marker));
    stampMarked(monitor.replica, nowMs(), this.stamps, keyOf, marker);
  }

  at(key: string): number | undefined {
    return this.stamps.get(key);
  }

  /** Resolves once every key is stamped (with the time of the update that completed the set). */
  waitAll(label: string, keys: readonly string[], timeoutMs: number): Promise<number> {
    return this.monitor.waitFor(label, () => keys.every((k) => this.stamps.has(k)), timeoutMs);
  }

  /** Keys not stamped yet, for a timeout's message. */
  missing(keys: readonly string[]): string[] {
    return keys.filter((k) => !this.stamps.has(k));
  }

  stop(): void {
    this.off();
  }
}
