import { describe, expect, it } from 'vitest';
import { TenantTraffic } from '../../../src/agent/tenant-stats.js';
import { interfaceRecord } from '../../../src/core/owned-ports.js';
import { Metrics } from '../../../src/observe/metrics.js';
import type { VswitchSnapshot } from '../../../src/ovsdb/index.js';

type Stats = Record<string, number>;

function iface(id: string, tenant: string, stats: Stats, owned = true) {
  const ids = owned
    ? interfaceRecord({ key: `/n/${id}#1`, ns: { path: `/n/${id}`, inode: 1 }, tenant, tenantId: 1, ip: '10.0.0.2', prefixLen: 24, mac: '02:00:00:00:00:01', ifName: 'eth0', mtu: 1500, gateway: undefined })
    : {};
  return { _uuid: `i${id}`, name: `nsv${id}`, type: '', ofport: 1, ofport_request: undefined, mac_in_use: undefined, external_ids: ids, statistics: stats, error: undefined, link_state: 'up' };
}

/** A snapshot of bridge br-nsv with the given interfaces (one port each). */
function snap(ifaces: ReturnType<typeof iface>[]): VswitchSnapshot {
  return {
    openVSwitch: undefined,
    bridges: new Map([['br', { _uuid: 'br', name: 'br-nsv', ports: ifaces.map((i) => `p${i._uuid}`), datapath_type: 'netdev', fail_mode: 'secure', protocols: [], external_ids: {}, other_config: {} }]]),
    ports: new Map(ifaces.map((i) => [`p${i._uuid}`, { _uuid: `p${i._uuid}`, name: i.name, interfaces: [i._uuid], external_ids: Object.keys(i.external_ids).length ? { 'nsvswitch-owner': 'nsvswitch' } : {} }])),
    interfaces: new Map(ifaces.map((i) => [i._uuid, i])),
  } as unknown as VswitchSnapshot;
}

describe('TenantTraffic', () => {
  it('sums increases per tenant over owned ports only', () => {
    const t = new TenantTraffic();
    const first = t.update(snap([iface('a', 'blue', { rx_packets: 3, tx_packets: 4, rx_bytes: 300, tx_bytes: 400 }), iface('b', 'blue', { rx_packets: 1 }), iface('c', 'red', { rx_packets: 7 }), iface('x', 'blue', { rx_packets: 1000 }, false)]), 'br-nsv');
    expect(Object.fromEntries(first)).toEqual({
      blue: { rxPackets: 4, txPackets: 4, rxBytes: 300, txBytes: 400 },
      red: { rxPackets: 7, txPackets: 0, rxBytes: 0, txBytes: 0 },
    });
    const second = t.update(snap([iface('a', 'blue', { rx_packets: 10, tx_packets: 4, rx_bytes: 1000, tx_bytes: 400 }), iface('c', 'red', { rx_packets: 7 })]), 'br-nsv');
    expect(second.get('blue')).toEqual({ rxPackets: 7, txPackets: 0, rxBytes: 700, txBytes: 0 });
    expect(second.get('red')).toEqual({ rxPackets: 0, txPackets: 0, rxBytes: 0, txBytes: 0 });
  });

  it('treats a lower value as a reset (ovs-vswitchd restarted) and never goes down', () => {
    const t = new TenantTraffic();
    t.update(snap([iface('a', 'blue', { rx_packets: 50 })]), 'br-nsv');
    expect(t.update(snap([iface('a', 'blue', { rx_packets: 5 })]), 'br-nsv').get('blue')?.rxPackets).toBe(5);
  });

  it('publishes into counters that only grow, also when a port leaves', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const t = new TenantTraffic();
    t.publish(m, snap([iface('a', 'blue', { rx_packets: 3 }), iface('b', 'blue', { rx_packets: 2 })]), 'br-nsv');
    t.publish(m, snap([iface('a', 'blue', { rx_packets: 4 })]), 'br-nsv');
    const text = await m.registry.metrics();
    expect(text).toContain('nsvswitch_tenant_receive_packets_total{tenant="blue"} 6');
  });

  it('a negative or non-numeric statistic (anyone can write one with ovs-vsctl) never throws: ignored, counted as an anomaly', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const t = new TenantTraffic();
    t.publish(m, snap([iface('a', 'blue', { rx_packets: 10, tx_bytes: 100 })]), 'br-nsv');
    expect(() => t.publish(m, snap([iface('a', 'blue', { rx_packets: -5, tx_bytes: Number.NaN })]), 'br-nsv')).not.toThrow();
    // Seen first with a lie: nothing counted, nothing thrown.
    expect(() => t.publish(m, snap([iface('a', 'blue', { rx_packets: 12 }), iface('b', 'red', { rx_packets: -(2 ** 62) })]), 'br-nsv')).not.toThrow();
    const text = await m.registry.metrics();
    // 10, then the lie ignored (last good value 10 stands), then 12: +2.
    expect(text).toContain('nsvswitch_tenant_receive_packets_total{tenant="blue"} 12');
    expect(text).toContain('nsvswitch_tenant_receive_packets_total{tenant="red"} 0');
    expect(text).toContain('nsvswitch_ovsdb_anomalies_total{kind="bad-statistic"} 3');
  });
});
