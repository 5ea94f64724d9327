import { describe, expect, it } from 'vitest';
import { GatewayTraffic, gatewayCounterReader, gatewayMetricsCollector } from '../../../src/agent/gateway-traffic.js';
import type { NativeAddon } from '../../../src/native/native.js';
import { Metrics } from '../../../src/observe/metrics.js';
import type { GatewayCounterName } from '../../../src/plumbing/gateway/gateway-nft-text.js';

type Counts = Partial<Record<GatewayCounterName, [number, number]>>;

function counters(byId: Record<number, Counts>): Map<number, Map<GatewayCounterName, { packets: number; bytes: number }>> {
  return new Map(Object.entries(byId).map(([id, c]) => [Number(id), new Map(Object.entries(c).map(([n, [packets, bytes]]) => [n as GatewayCounterName, { packets, bytes }]))]));
}

async function value(m: Metrics, metric: 'gatewayPackets' | 'gatewayBytes' | 'gatewayDroppedPackets' | 'gatewayDroppedBytes', tenant: string, direction: string): Promise<number | undefined> {
  m.setGatewayCollector(undefined);
  return (await m[metric].get()).values.find((v) => v.labels.tenant === tenant && v.labels.direction === direction)?.value;
}

describe('GatewayTraffic', () => {
  const names = new Map([[1, 'blue'], [2, 'red']]);

  it('adds increases of the nft counters; a counter that went down (table rewritten) counts from 0', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const t = new GatewayTraffic();
    t.publish(m, counters({ 1: { egress: [10, 1000], drop_host: [2, 120] }, 2: { ingress: [1, 60] } }), names);
    t.publish(m, counters({ 1: { egress: [15, 1500], drop_host: [2, 120] }, 2: { ingress: [1, 60] } }), names);
    expect(await value(m, 'gatewayPackets', 'blue', 'egress')).toBe(15);
    expect(await value(m, 'gatewayBytes', 'blue', 'egress')).toBe(1500);
    expect(await value(m, 'gatewayDroppedPackets', 'blue', 'host')).toBe(2);
    expect(await value(m, 'gatewayPackets', 'red', 'ingress')).toBe(1);
    // The table was rewritten: 4 packets since.
    t.publish(m, counters({ 1: { egress: [4, 400] } }), names);
    expect(await value(m, 'gatewayPackets', 'blue', 'egress')).toBe(19);
    expect(await value(m, 'gatewayBytes', 'blue', 'egress')).toBe(1900);
  });

  it('publishes no series for a tenant id it cannot name', async () => {
    const m = new Metrics({ defaultMetrics: false });
    new GatewayTraffic().publish(m, counters({ 9: { egress: [5, 500] } }), names);
    expect((await m.gatewayPackets.get()).values).toEqual([]);
  });

  it('is read once per scrape, spawns nothing without gateways, and a failed read leaves the metrics as they were', async () => {
    const m = new Metrics({ defaultMetrics: false });
    let reads = 0;
    let fail = false;
    const host = { readCounters: async () => {
      reads++;
      if (fail) throw new Error('nft gone');
      return counters({ 1: { egress: [reads, reads * 100] } });
    } };
    let tenants = new Map<string, { id: number; gateway?: string }>([['blue', { id: 1 }]]);
    m.setGatewayCollector(gatewayMetricsCollector(host, m, () => tenants));
    await m.registry.metrics();
    expect(reads).toBe(0);
    tenants = new Map([['blue', { id: 1, gateway: '10.1.0.1' }]]);
    const text = await m.registry.metrics();
    expect(reads).toBe(1);
    expect(text).toContain('nsvswitch_gateway_packets_total{tenant="blue",direction="egress"} 1');
    fail = true;
    expect(await m.registry.metrics()).toContain('nsvswitch_gateway_packets_total{tenant="blue",direction="egress"} 1');
  });
});

describe('gatewayCounterReader (where a scrape reads the counters)', () => {
  const viaNft = { readCounters: async () => counters({ 7: { egress: [1, 1] } }) };
  const addon = (impl: () => unknown) => ({ nftNetdevChains: () => [], nftCounters: impl }) as unknown as NativeAddon;

  it('in-process: the table\'s counters from the addon, parsed by the nft -j reader\'s rules; no process', async () => {
    const asked: unknown[] = [];
    const reader = gatewayCounterReader(viaNft, {
      plumbing: 'auto', bridge: 'br-x',
      addon: addon((...args: unknown[]) => {
        asked.push(args);
        return [{ name: 't5_egress', packets: 3, bytes: 300 }, { name: 't5_drop_host', packets: 1, bytes: 60 }, { name: 'someone_elses', packets: 9, bytes: 9 }];
      }),
    });
    expect(reader.inProcess).toBe(true);
    expect(await reader.readCounters()).toEqual(counters({ 5: { egress: [3, 300], drop_host: [1, 60] } }));
    expect(asked).toEqual([[-1, 'inet', 'nsvswitch_gw_br_x']]);
  });

  it('a read that cannot run in-process is served by nft for that scrape', async () => {
    const reader = gatewayCounterReader(viaNft, { plumbing: 'auto', bridge: 'br0', addon: addon(() => { throw new Error('EPERM'); }) });
    expect(await reader.readCounters()).toEqual(counters({ 7: { egress: [1, 1] } }));
  });

  it('plumbing: process, or an addon without nf_tables: nft', () => {
    expect(gatewayCounterReader(viaNft, { plumbing: 'process', bridge: 'br0', addon: addon(() => []) }).inProcess).toBe(false);
    expect(gatewayCounterReader(viaNft, { plumbing: 'auto', bridge: 'br0', addon: undefined }).inProcess).toBe(false);
  });
});
