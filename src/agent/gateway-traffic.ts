import { open, type FileHandle } from 'node:fs/promises';
import type { PlumbingMode } from '../config/types.js';
import { loadNative, type NativeAddon } from '../native/native.js';
import type { Metrics } from '../observe/metrics.js';
import type { Logger } from '../observe/logger.js';
import type { GatewayCounters, GatewayHost } from '../plumbing/gateway/gateway-host.js';
import { gatewayTableName, parseGatewayCounters, type GatewayCounterName } from '../plumbing/gateway/gateway-nft-text.js';
import { hasNftables } from '../plumbing/host-guard/netlink-seal.js';

/** Which metric and direction each named counter of a gateway feeds. */
const FEEDS: Record<GatewayCounterName, { readonly dropped: boolean; readonly direction: 'egress' | 'ingress' | 'host' }> = {
  egress: { dropped: false, direction: 'egress' },
  ingress: { dropped: false, direction: 'ingress' },
  drop_egress: { dropped: true, direction: 'egress' },
  drop_ingress: { dropped: true, direction: 'ingress' },
  drop_host: { dropped: true, direction: 'host' },
};

/**
 * Turns the gateway table's counters (absolute, and back to 0 whenever the
 * table is rewritten) into increases of the nsvswitch_gateway_* counters, so
 * the exported counters only grow. What a rewritten table counted after the
 * last read and before the rewrite is lost (a tenant's policy changed).
 */
export class GatewayTraffic {
  private readonly last = new Map<string, { packets: number; bytes: number }>();

  /** `names`: tenant id → tenant name (counters of ids not listed are remembered, not published). */
  publish(metrics: Metrics, counters: GatewayCounters, names: ReadonlyMap<number, string>): void {
    const seen = new Set<string>();
    for (const [id, byName] of counters) {
      for (const [name, now] of byName) {
        const key = `${id}/${name}`;
        seen.add(key);
        const before = this.last.get(key);
        this.last.set(key, now);
        const tenant = names.get(id);
        if (tenant === undefined) continue;
        // A lower value: the table was rewritten and its counters started again from 0.
        const dp = before && now.packets >= before.packets ? now.packets - before.packets : now.packets;
        const db = before && now.bytes >= before.bytes ? now.bytes - before.bytes : now.bytes;
        const feed = FEEDS[name];
        const labels = { tenant, direction: feed.direction };
        (feed.dropped ? metrics.gatewayDroppedPackets : metrics.gatewayPackets).inc(labels, dp);
        (feed.dropped ? metrics.gatewayDroppedBytes : metrics.gatewayBytes).inc(labels, db);
      }
    }
    for (const k of this.last.keys()) if (!seen.has(k)) this.last.delete(k);
  }
}

type CounterReader = Pick<GatewayHost, 'readCounters'>;

/**
 * Where a scrape reads the gateway table's counters: in-process (one
 * nf_tables dump from the addon, no process) unless `plumbing: process` or
 * the addon lacks nf_tables; the host's `nft -j list counters` otherwise, and
 * for a scrape whose in-process read could not run.
 */
export function gatewayCounterReader(host: CounterReader, opts: { readonly plumbing: PlumbingMode; readonly bridge: string; readonly hostNetns?: string | undefined; readonly logger?: Logger | undefined; readonly addon?: NativeAddon | undefined }): CounterReader & { readonly inProcess: boolean } {
  const addon = 'addon' in opts ? opts.addon : loadNative().addon;
  if (opts.plumbing === 'process' || !hasNftables(addon)) return { inProcess: false, readCounters: () => host.readCounters() };
  const table = gatewayTableName(opts.bridge);
  return {
    inProcess: true,
    async readCounters(): Promise<GatewayCounters> {
      let handle: FileHandle | undefined;
      try {
        if (opts.hostNetns !== undefined) handle = await open(opts.hostNetns, 'r');
        const counters = addon.nftCounters(handle?.fd ?? -1, 'inet', table);
        // The counter names are parsed in one place, the nft -j reader's.
        return parseGatewayCounters(JSON.stringify({ nftables: counters.map((counter) => ({ counter })) }));
      } catch (err) {
        opts.logger?.debug({ table: `inet ${table}`, err: (err as Error).message }, 'gateway counters not read in-process: nft instead');
        return host.readCounters();
      } finally {
        await handle?.close();
      }
    },
  };
}

/**
 * The scrape-time reader of the gateway metrics: one read of the counters
 * per scrape (see gatewayCounterReader); a failure is logged and leaves the
 * metrics as they were (a scrape never fails for it).
 */
export function gatewayMetricsCollector(host: Pick<GatewayHost, 'readCounters'>, metrics: Metrics, tenants: () => ReadonlyMap<string, { readonly id: number; readonly gateway?: string }>, logger?: Logger): () => Promise<void> {
  const traffic = new GatewayTraffic();
  return async () => {
    // No gateway, no table: no process at all.
    if (![...tenants().values()].some((t) => t.gateway !== undefined)) return;
    try {
      const counters = await host.readCounters();
      const names = new Map([...tenants()].map(([name, t]) => [t.id, name]));
      traffic.publish(metrics, counters, names);
    } catch (err) {
      logger?.debug({ err: (err as Error).message }, 'gateway counters not read');
    }
  };
}
