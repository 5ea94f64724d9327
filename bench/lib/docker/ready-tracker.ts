import type { InterfaceMonitor } from '../interface-monitor.js';
import type { InterfaceReplica } from '../interface-replica.js';
import { nowMs } from '../timing.js';

/** The external_ids key nsvswitch (and ovs-docker) record the container id under. */
const CONTAINER_ID = 'container_id';
/** nsvswitch's ready marker: set once the port's flows are in. */
const INSTALLED = 'nsvswitch-installed';

/**
 * First moment each container's port was tenant-ready, as OVSDB shows it:
 * an Interface row with the container's id, the ready marker and an ofport.
 * Fed by the bench's one `ovsdb-client monitor`, so the times are those of
 * the updates, not of a polling loop.
 */
export class ReadyTracker {
  private readonly readyAt = new Map<string, number>();
  private readonly off: () => void;

  constructor(private readonly monitor: InterfaceMonitor) {
    this.off = monitor.onUpdate((rep, at) => this.scan(rep, at));
    this.scan(monitor.replica, nowMs());
  }

  /** When the container's port first became ready (nowMs clock), if it has. */
  at(id: string): number | undefined {
    return this.readyAt.get(id);
  }

  /** Resolves once every id is ready. */
  async waitFor(label: string, ids: readonly string[], timeoutMs: number): Promise<void> {
    await this.monitor.waitFor(label, () => ids.every((id) => this.readyAt.has(id)), timeoutMs);
  }

  /** Rows that still carry a container id (ports left after the containers went). */
  static containerRows(rep: InterfaceReplica): number {
    let k = 0;
    for (const r of rep.values()) if (r.externalIds[CONTAINER_ID] !== undefined) k++;
    return k;
  }

  stop(): void {
    this.off();
  }

  private scan(rep: InterfaceReplica, at: number): void {
    for (const r of rep.values()) {
      const id = r.externalIds[CONTAINER_ID];
      if (id === undefined || this.readyAt.has(id)) continue;
      if (r.externalIds[INSTALLED] === 'true' && r.ofport !== undefined && r.ofport > 0) this.readyAt.set(id, at);
    }
  }
}
