import { describe, expect, it } from 'vitest';
import { tenantCounters, publishTenantCounters } from '../../../src/agent/tenant-stats.js';
import { interfaceRecord } from '../../../src/core/owned-ports.js';
import { Metrics } from '../../../src/observe/metrics.js';
import type { VswitchSnapshot } from '../../../src/ovsdb/index.js';

function iface(uuidStr: string, tenant: string, inode: number, stats: Record<string, number>) {
  const ids = interfaceRecord({ key: `/n/${uuidStr}#${inode}`, ns: { path: `/n/${uuidStr}`, inode }, tenant, tenantId: tenant === 'blue' ? 1 : 2, ip: '10.0.0.2', prefixLen: 24, mac: '02:00:00:00:00:01', ifName: 'eth0', mtu: 1500, gateway: undefined });
  return { _uuid: `i${uuidStr}`, name: `nsv${uuidStr}`, type: '', ofport: 1, ofport_request: undefined, mac_in_use: undefined, external_ids: ids, statistics: stats, error: undefined, link_state: 'up' };
}

describe('tenant traffic counters', () => {
  it('sums interface statistics per tenant over owned ports only, and publishes them as gauges', async () => {
    const ifaces = [iface('a', 'blue', 1, { rx_packets: 3, tx_packets: 4, rx_bytes: 300, tx_bytes: 400 }), iface('b', 'blue', 2, { rx_packets: 1, tx_packets: 1, rx_bytes: 10, tx_bytes: 20 }), iface('c', 'red', 3, { rx_packets: 7 })];
    const snap = {
      openVSwitch: undefined,
      bridges: new Map([['br', { _uuid: 'br', name: 'br-nsv', ports: ['pa', 'pb', 'pc', 'px'], datapath_type: 'netdev', fail_mode: 'secure', protocols: [], external_ids: {}, other_config: {} }]]),
      ports: new Map([
        ...ifaces.map((i) => [`p${i._uuid.slice(1)}`, { _uuid: `p${i._uuid.slice(1)}`, name: i.name, interfaces: [i._uuid], external_ids: { 'nsvswitch-owner': 'nsvswitch' } as Record<string, string> }] as [string, object]),
        ['px', { _uuid: 'px', name: 'foreign', interfaces: ['ix'], external_ids: {} }] as [string, object],
      ]),
      interfaces: new Map([...ifaces.map((i) => [i._uuid, i] as const), ['ix', { ...iface('x', 'blue', 9, { rx_packets: 1000 }), _uuid: 'ix', external_ids: {} }]]),
    } as unknown as VswitchSnapshot;
    const c = tenantCounters(snap, 'br-nsv');
    expect(Object.fromEntries(c)).toEqual({
      blue: { rxPackets: 4, txPackets: 5, rxBytes: 310, txBytes: 420 },
      red: { rxPackets: 7, txPackets: 0, rxBytes: 0, txBytes: 0 },
    });
    const m = new Metrics({ defaultMetrics: false });
    publishTenantCounters(m, c);
    const text = await m.registry.metrics();
    expect(text).toContain('nsvswitch_tenant_receive_packets{tenant="blue"} 4');
    expect(text).toContain('nsvswitch_tenant_transmit_bytes{tenant="blue"} 420');
  });
});
