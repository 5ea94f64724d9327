import { describe, expect, it } from 'vitest';
import { computeDesired } from '../../../src/core/desired.js';
import { withoutIpv6 } from '../../../src/core/desired-ipv6.js';
import { desiredFlowPort, ownedFlowPort } from '../../../src/core/flow-ports.js';
import { plan } from '../../../src/core/plan.js';
import { interfaceRecord, ownedPorts } from '../../../src/core/owned-ports.js';
import { Category, decodeCookie, IPV6_FLOWS_PER_PORT, pipelineFlows, portFlows } from '../../../src/core/pipeline/index.js';
import { namespaceKey } from '../../../src/netns/types.js';
import { deps, ns, tenant } from './fixtures.js';

// An IPv6-only tenant: no IPv4 subnet at all.
const { subnet: _none, ...v6base } = tenant('six', 300, '0.0.0.0/32', ['six-*'], { subnet6: 'fd00:60::/64', gateway6: 'fd00:60::1', staticAddresses6: { 'six-db': 'fd00:60::10' } });
const six = v6base;
const dual = tenant('dual', 100, '10.10.0.0/24', ['dual-*'], { subnet6: 'fd00:10::/64', staticAddresses6: {} });
const red = tenant('red', 200, '10.20.0.0/24', ['red-*']);
const tenants = new Map([['six', six], ['dual', dual], ['red', red]]);
const keyOf = (n: ReturnType<typeof ns>): string => namespaceKey(n);

/** A one-port OVSDB snapshot holding `ids` on the Interface row. */
function snapshotOf(name: string, ids: Record<string, string>) {
  return {
    bridges: new Map([['b', { name: 'br', ports: ['p1'] }]]),
    ports: new Map([['p1', { _uuid: 'p1', name, interfaces: ['i1'], external_ids: { 'nsvswitch-owner': 'nsvswitch' } }]]),
    interfaces: new Map([['i1', { _uuid: 'i1', name, ofport: 7, external_ids: ids }]]),
  };
}

describe('computeDesired: IPv6-only tenants', () => {
  it('gives a port an IPv6 address and no IPv4 one (no ip, prefixLen or gateway), beside IPv4 and dual-stack tenants unchanged', () => {
    const [a, db, d1, r1] = [ns('six-a', 1), ns('six-db', 2), ns('dual-1', 3), ns('red-1', 4)];
    const d = computeDesired(tenants, [a, db, d1, r1], [], deps);
    const pa = d.ports.get(keyOf(a))!;
    expect(pa.ipv6).toEqual({ ip: 'fd00:60::2', prefixLen: 64, gateway: 'fd00:60::1' });
    expect('ip' in pa || 'prefixLen' in pa).toBe(false);
    expect(pa.gateway).toBeUndefined();
    expect(d.ports.get(keyOf(db))?.ipv6?.ip).toBe('fd00:60::10');
    expect(d.ports.get(keyOf(d1))).toMatchObject({ ip: '10.10.0.1', ipv6: { ip: 'fd00:10::1' } });
    expect(d.ports.get(keyOf(r1))?.ip).toBe('10.20.0.1');
    expect(Object.keys(d.ports.get(keyOf(r1))!)).not.toContain('ipv6');
  });

  it('records only nsvswitch-ip6 (no nsvswitch-ip), reads the port back, and a restart plans nothing', () => {
    const a = ns('six-a', 1);
    const d = computeDesired(tenants, [a], [], deps).ports.get(keyOf(a))!;
    const ids = interfaceRecord(d);
    expect(ids).not.toHaveProperty('nsvswitch-ip');
    expect(ids['nsvswitch-ip6']).toBe('fd00:60::2/64');
    const { owned, broken } = ownedPorts(snapshotOf(d.hostIf, ids), 'br');
    expect(broken).toEqual([]);
    expect(owned[0]).toMatchObject({ cidr6: 'fd00:60::2/64', gateway6: 'fd00:60::1' });
    expect(owned[0]).not.toHaveProperty('cidr');
    const again = computeDesired(tenants, [a], owned, deps);
    expect(plan(again, owned)).toMatchObject({ plug: [], remove: [] });
    expect(again.ports.get(keyOf(a))).toEqual(d);
  });

  it('treats a record with neither address as broken (removed), one with only IPv4 as before', () => {
    const ids = { 'nsvswitch-owner': 'nsvswitch', 'nsvswitch-tenant': 'six', 'nsvswitch-tenant-id': '300', 'nsvswitch-netns': '/run/netns/six-a', 'nsvswitch-netns-inode': '1', 'nsvswitch-mac': '02:00:00:00:00:01', 'nsvswitch-ifname': 'eth0', 'nsvswitch-mtu': '1500' };
    expect(ownedPorts(snapshotOf('nsv1', ids), 'br').broken).toHaveLength(1);
    expect(ownedPorts(snapshotOf('nsv1', { ...ids, 'nsvswitch-ip': '10.0.0.2/24' }), 'br').owned[0]).toMatchObject({ cidr: '10.0.0.2/24' });
  });

  it('replugs a port when its tenant changes family (IPv4 subnet added to or removed from an IPv6-only tenant)', () => {
    const a = ns('six-a', 1);
    const d = computeDesired(tenants, [a], [], deps).ports.get(keyOf(a))!;
    const [o] = ownedPorts(snapshotOf(d.hostIf, interfaceRecord(d)), 'br').owned;
    const withV4 = new Map([['six', { ...six, subnet: '10.60.0.0/24' }]]);
    const d2 = computeDesired(withV4, [a], [o!], deps);
    expect(d2.ports.get(keyOf(a))?.ip).toBe('10.60.0.1');
    expect(plan(d2, [o!]).remove).toHaveLength(1);
  });

  it('never allocates from a held (kept as recorded) IPv6-only port\'s IPv4 side', () => {
    const a = ns('six-a', 1);
    const d = computeDesired(tenants, [a], [], deps).ports.get(keyOf(a))!;
    const [o] = ownedPorts(snapshotOf(d.hostIf, interfaceRecord(d)), 'br').owned;
    const held = computeDesired(tenants, [a], [o!], { ...deps, workloadOf: () => ({ kind: 'unknown', runtime: 'docker', connected: false, synced: false }) });
    const v = held.verdicts.get(keyOf(a));
    expect(v).toMatchObject({ kind: 'desired', held: expect.any(String) });
    expect(held.ports.get(keyOf(a))).toMatchObject({ ipv6: { ip: 'fd00:60::2' } });
    expect(held.ports.get(keyOf(a))).not.toHaveProperty('ip');
  });
});

describe('withoutIpv6 (ovn): an IPv6-only tenant\'s ports are refused, never half-plugged', () => {
  it('turns them into error verdicts without a port; dual-stack ports lose their IPv6 half only', () => {
    const [a, d1] = [ns('six-a', 1), ns('dual-1', 2)];
    const v4 = withoutIpv6(computeDesired(tenants, [a, d1], [], deps));
    expect(v4.ports.has(keyOf(a))).toBe(false);
    expect(v4.verdicts.get(keyOf(a))).toMatchObject({ kind: 'error', tenant: 'six', reason: 'ipv6-only' });
    expect((v4.verdicts.get(keyOf(a)) as { message: string }).message).toContain('backend ovn is IPv4-only');
    expect(v4.ports.get(keyOf(d1))).toMatchObject({ ip: '10.10.0.1' });
    expect(v4.ports.get(keyOf(d1))).not.toHaveProperty('ipv6');
  });
});

describe('pipeline: a port of an IPv6-only tenant', () => {
  const a = ns('six-a', 1);
  const d = computeDesired(tenants, [a], [], deps).ports.get(keyOf(a))!;
  const fp = desiredFlowPort(d, 7);

  it('has no IPv4 allow, ARP allow or ARP answer: its spoof drop, unicast delivery and the IPv6 flows', () => {
    const flows = portFlows(fp);
    expect(flows).toHaveLength(2 + IPV6_FLOWS_PER_PORT);
    const cats = flows.map((f) => decodeCookie(f.cookie).category);
    expect(cats).not.toContain(Category.portIp);
    expect(cats).not.toContain(Category.portArp);
    expect(cats).not.toContain(Category.arpResponder);
    expect(flows.filter((f) => f.match.startsWith('ip,') || f.match.startsWith('arp'))).toEqual([]);
    expect(flows).toContainEqual(expect.objectContaining({ table: 0, priority: 50, match: 'in_port=7', actions: 'drop' }));
    expect(flows.filter((f) => f.match.startsWith('ipv6,in_port=7,'))).toHaveLength(2);
  });

  it('reads the same from its record as from desired state (zero flow-mods on restart)', () => {
    const [o] = ownedPorts(snapshotOf(d.hostIf, interfaceRecord(d)), 'br').owned;
    expect(pipelineFlows([ownedFlowPort(o!)])).toEqual(pipelineFlows([fp]));
  });

  it('leaves an IPv4 port\'s flows exactly as they were', () => {
    const r = computeDesired(tenants, [ns('red-1', 4)], [], deps).ports.get(keyOf(ns('red-1', 4)))!;
    expect(portFlows(desiredFlowPort(r, 3)).map((f) => f.match)).toEqual([
      `ip,in_port=3,vlan_tci=0x0000/0x1fff,dl_src=${r.mac},nw_src=10.20.0.1`,
      `arp,in_port=3,vlan_tci=0x0000/0x1fff,dl_src=${r.mac},arp_spa=10.20.0.1,arp_sha=${r.mac}`,
      'in_port=3',
      'arp,metadata=0xc8,arp_tpa=10.20.0.1,arp_op=1',
      `metadata=0xc8,dl_dst=${r.mac}`,
    ]);
  });
});
