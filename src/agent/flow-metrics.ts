import type { Metrics } from '../observe/metrics.js';
import type { Flow, FlowSyncObserver, FlowSyncResult } from '../openflow/index.js';
import { decodeCookie } from '../core/pipeline/cookie.js';

/** The flow metrics (flow-mods by op, flows by tenant and table, sync duration), fed by every sync the agent makes. */
export class FlowMetrics implements FlowSyncObserver {
  constructor(private readonly metrics: Metrics) {}

  synced(r: Pick<FlowSyncResult, 'added' | 'modified' | 'deleted'>, installed: readonly Flow[]): void {
    const { metrics } = this;
    metrics.flowMods.inc({ op: 'add' }, r.added);
    metrics.flowMods.inc({ op: 'modify' }, r.modified);
    metrics.flowMods.inc({ op: 'delete' }, r.deleted);
    const counts = new Map<string, { tenant: string; table: string; n: number }>();
    for (const f of installed) {
      const tenant = String(decodeCookie(f.cookie).tenantId);
      const key = `${tenant}|${f.table}`;
      const c = counts.get(key);
      if (c) c.n++;
      else counts.set(key, { tenant, table: String(f.table), n: 1 });
    }
    metrics.flows.reset();
    for (const c of counts.values()) metrics.flows.set({ tenant: c.tenant, table: c.table }, c.n);
  }

  took(seconds: number): void {
    this.metrics.flowSyncDuration.observe(seconds);
  }
}
