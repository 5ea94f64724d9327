import type { Logger } from '../observe/logger.js';
import type { Flow } from './flow.js';
import type { FlowChange, FlowDriver } from './flow-driver.js';
import { diffFlows, uniqueFlows } from './flow-diff.js';

export interface FlowSyncResult {
  /** Flows the switch lacked. */
  readonly added: number;
  /** Flows whose actions or cookie were rewritten in place. */
  readonly modified: number;
  readonly deleted: number;
  /** Our flows on the bridge after the sync. */
  readonly total: number;
}

/** Told about every sync (the agent turns this into metrics; this layer keeps none). */
export interface FlowSyncObserver {
  /** A sync finished: what changed, and the flows now on the switch (duplicates dropped). */
  synced(result: FlowSyncResult, installed: readonly Flow[]): void;
  /** How long a sync took, whether it succeeded or not. */
  took(seconds: number): void;
}

export interface FlowSyncOptions {
  readonly logger?: Logger;
  readonly observer?: FlowSyncObserver;
}

/**
 * Brings a bridge's flows (ours only) to a desired set: dump, diff in
 * canonical form, and send only the difference in one atomic bundle. A sync
 * with nothing changed sends zero flow-mods. Syncs of one bridge run one at
 * a time, in call order.
 */
export class FlowSync {
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(
    private readonly driver: FlowDriver,
    private readonly opts: FlowSyncOptions = {},
  ) {}

  /** `sending` is told the difference just before it is sent (a flow monitor's updates of it are then known as ours). */
  sync(bridge: string, desired: readonly Flow[], sending?: (change: FlowChange) => void): Promise<FlowSyncResult> {
    const prev = this.tails.get(bridge) ?? Promise.resolve();
    const next = prev.then(
      () => this.syncNow(bridge, desired, sending),
      () => this.syncNow(bridge, desired, sending),
    );
    const tail = next.catch(() => undefined);
    this.tails.set(bridge, tail);
    void tail.then(() => {
      if (this.tails.get(bridge) === tail) this.tails.delete(bridge);
    });
    return next;
  }

  private async syncNow(bridge: string, desired: readonly Flow[], sending: ((change: FlowChange) => void) | undefined): Promise<FlowSyncResult> {
    const { logger, observer } = this.opts;
    const started = performance.now();
    try {
      const actual = await this.driver.dump(bridge);
      const diff = diffFlows(desired, actual);
      if (diff.duplicates.length > 0) {
        logger?.warn({ bridge, duplicates: diff.duplicates.length, example: diff.duplicates[0] && { table: diff.duplicates[0].table, match: diff.duplicates[0].match } }, 'desired flows with the same table, priority and match: kept the first');
      }
      const add = [...diff.add, ...diff.modify];
      if (add.length > 0 || diff.del.length > 0) {
        sending?.({ add, del: diff.del });
        await this.driver.apply(bridge, { add, del: diff.del });
      }
      const total = desired.length - diff.duplicates.length;
      const result = { added: diff.add.length, modified: diff.modify.length, deleted: diff.del.length, total };
      // Without duplicates the flows now on the switch are `desired` itself (uniqueFlows would keep every one).
      observer?.synced(result, diff.duplicates.length === 0 ? [...desired] : uniqueFlows(desired));
      if (add.length > 0 || diff.del.length > 0) logger?.info({ bridge, ...result }, 'flows synced');
      else logger?.debug({ bridge, total }, 'flows already in sync');
      return result;
    } finally {
      observer?.took((performance.now() - started) / 1000);
    }
  }
}
