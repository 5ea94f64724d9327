import { describe, expect, it } from 'vitest';
import { explainTrace } from '../../../../src/core/pipeline/trace/explain-trace.js';
import { parseTrace, tracedOutputs } from '../../../../src/openflow/ofproto-trace.js';
import { parseTracedPorts } from '../../../../src/cli/traced-ports-vsctl.js';
import { parseProto, parseVlan, tracePacket } from '../../../../src/core/pipeline/trace/trace-packet.js';
import { findPortsByNamespace, type TracedPort } from '../../../../src/core/pipeline/trace/traced-port.js';
import { isIpv4 } from '../../../../src/net/ipv4.js';

// Verbatim `ovs-vsctl --format=json --columns=name,ofport,external_ids find Interface ...` shape (OVS 3.1).
const VSCTL_JSON = JSON.stringify({
  data: [
    ['vtr0', 3, ['map', [['nsvswitch-ip', '10.8.0.1'], ['nsvswitch-mac', '02:00:00:0A:00:01'], ['nsvswitch-netns', '/run/netns/red-a'], ['nsvswitch-owner', 'nsvswitch'], ['nsvswitch-tenant', 'red'], ['nsvswitch-tenant-id', '21']]]],
    ['vtr1', 1, ['map', [['nsvswitch-ip', '10.8.0.2/24'], ['nsvswitch-mac', '02:00:00:0a:00:02'], ['nsvswitch-netns', '/run/netns/red-b'], ['nsvswitch-owner', 'nsvswitch'], ['nsvswitch-tenant', 'red'], ['nsvswitch-tenant-id', '21']]]],
    ['vtr2', 2, ['map', [['nsvswitch-ip', '10.8.0.3'], ['nsvswitch-mac', '02:00:00:0a:00:03'], ['nsvswitch-netns', '/run/docker/netns/blue-a'], ['nsvswitch-owner', 'nsvswitch'], ['nsvswitch-tenant', 'blue'], ['nsvswitch-tenant-id', '22']]]],
    ['vtr9', ['set', []], ['map', [['nsvswitch-owner', 'nsvswitch']]]],
  ],
  headings: ['name', 'ofport', 'external_ids'],
});

// Verbatim ofproto/trace outputs of OVS 3.1 on the nsvswitch pipeline.
const UNICAST = `Flow: icmp,in_port=3,vlan_tci=0x0000,dl_src=02:00:00:0a:00:01,dl_dst=02:00:00:0a:00:02,nw_src=10.8.0.1,nw_dst=10.8.0.2,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,icmp_type=8,icmp_code=0

bridge("br1")
-------------
 0. ip,in_port=3,vlan_tci=0x0000/0x1fff,dl_src=02:00:00:0a:00:01,nw_src=10.8.0.1, priority 100, cookie 0x6e73000015000010
    write_metadata:0x15
    goto_table:20
20. metadata=0x15,dl_dst=02:00:00:0a:00:02, priority 100, cookie 0x6e73000015000030
    output:1

Final flow: unchanged
Megaflow: recirc_id=0,eth,ip,in_port=3,dl_src=02:00:00:0a:00:01,dl_dst=02:00:00:0a:00:02,nw_src=10.8.0.1,nw_frag=no
Datapath actions: 2
`;
const CROSS = UNICAST.replace('dl_dst=02:00:00:0a:00:02, priority 100, cookie 0x6e73000015000030\n    output:1', 'priority 0, cookie 0x6e73000000000004\n    drop').replace('Datapath actions: 2', 'Datapath actions: drop');
const ARP_FLOOD = `Flow: arp,in_port=3,vlan_tci=0x0000,dl_src=02:00:00:0a:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.8.0.1,arp_tpa=10.8.0.3,arp_op=1,arp_sha=02:00:00:0a:00:01,arp_tha=00:00:00:00:00:00

bridge("br1")
-------------
 0. arp,in_port=3,vlan_tci=0x0000/0x1fff,dl_src=02:00:00:0a:00:01,arp_spa=10.8.0.1,arp_sha=02:00:00:0a:00:01, priority 100, cookie 0x6e73000015000011
    write_metadata:0x15
    goto_table:10
10. priority 0, cookie 0x6e73000000000003
    goto_table:20
20. metadata=0x15,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00, priority 50, cookie 0x6e73000015000031
    output:1
    output:3
     >> skipping output to input port

Final flow: unchanged
Megaflow: recirc_id=0,eth,arp,in_port=3,dl_src=02:00:00:0a:00:01,dl_dst=ff:ff:ff:ff:ff:ff
Datapath actions: 2
`;
const TAGGED = `Flow: icmp,in_port=3,dl_vlan=22,dl_vlan_pcp=0,vlan_tci1=0x0000,dl_src=02:00:00:0a:00:01,dl_dst=02:00:00:0a:00:02,nw_src=10.8.0.1,nw_dst=10.8.0.2,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,icmp_type=8,icmp_code=0

bridge("br1")
-------------
 0. in_port=3, priority 50, cookie 0x6e73000015000012
    drop

Final flow: unchanged
Megaflow: recirc_id=0,eth,ip,in_port=3,dl_vlan=22,dl_src=02:00:00:0a:00:01,nw_frag=no
Datapath actions: drop
`;
const UNKNOWN_PORT = `Flow: icmp,in_port=9,vlan_tci=0x0000,dl_src=02:aa:00:00:00:02,dl_dst=02:aa:00:00:00:05,nw_src=10.0.0.2,nw_dst=10.0.0.5,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,icmp_type=0,icmp_code=0

bridge("br0")
-------------
 0. priority 0, cookie 0x6e73000000000001
    drop

Final flow: unchanged
Megaflow: recirc_id=0,eth,ip,in_port=9,nw_frag=no
Datapath actions: drop
`;

describe('trace helpers', () => {
  const ports = parseTracedPorts(VSCTL_JSON);
  const [redA, redB, blueA] = ports as [TracedPort, TracedPort, TracedPort];

  it('read our ports from ovs-vsctl JSON, skipping rows without an address', () => {
    expect(ports).toHaveLength(3);
    expect(redA).toEqual({ name: 'vtr0', ofport: 3, netns: '/run/netns/red-a', ip: '10.8.0.1', mac: '02:00:00:0a:00:01', tenant: 'red', tenantId: 21 });
    expect(redB.ip).toBe('10.8.0.2');
  });

  it('find a namespace by file name or by path', () => {
    expect(findPortsByNamespace(ports, 'blue-a')).toEqual([blueA]);
    expect(findPortsByNamespace(ports, '/run/docker/netns/blue-a')).toEqual([blueA]);
    expect(findPortsByNamespace(ports, '/run/netns/blue-a')).toEqual([]);
    expect(isIpv4('10.8.0.3')).toBe(true);
    expect(isIpv4('red-a')).toBe(false);
    expect(isIpv4('10.8.0.256')).toBe(false);
  });

  it('parse --proto values', () => {
    expect(parseProto('tcp/80')).toEqual({ kind: 'tcp', port: 80 });
    expect(parseProto('udp/53')).toEqual({ kind: 'udp', port: 53 });
    expect(parseProto('arp')).toEqual({ kind: 'arp' });
    for (const bad of ['http', 'tcp', 'tcp/0', 'udp/70000', 'icmp/1']) expect(parseProto(bad)).toBeUndefined();
    expect([parseVlan('0'), parseVlan('22'), parseVlan('4095')]).toEqual([0, 22, 4095]);
    for (const bad of ['4096', '-1', '0x10', '', 'ten', '12345']) expect(parseVlan(bad)).toBeUndefined();
  });

  it('build the packet SRC would send: its own MAC and IP, DST\'s MAC; ARP first for an unknown address', () => {
    expect(tracePacket(redA, { kind: 'port', port: redB }, { kind: 'tcp', port: 80 }).flow).toBe(
      'tcp,in_port=3,dl_src=02:00:00:0a:00:01,dl_dst=02:00:00:0a:00:02,nw_src=10.8.0.1,nw_dst=10.8.0.2,nw_ttl=64,tcp_src=40000,tcp_dst=80',
    );
    expect(tracePacket(redA, { kind: 'port', port: redB }, { kind: 'icmp' }, 22)).toEqual({
      flow: 'icmp,in_port=3,dl_vlan=22,dl_src=02:00:00:0a:00:01,dl_dst=02:00:00:0a:00:02,nw_src=10.8.0.1,nw_dst=10.8.0.2,nw_ttl=64,icmp_type=8,icmp_code=0',
      proto: { kind: 'icmp' },
      vlan: 22,
    });
    expect(tracePacket(redA, { kind: 'port', port: redB }, { kind: 'arp' }, 0).flow).toMatch(/^arp,in_port=3,dl_vlan=0,dl_src=/);
    const unknown = tracePacket(redA, { kind: 'address', ip: '10.8.0.99' }, { kind: 'icmp' });
    expect(unknown.proto).toEqual({ kind: 'arp' });
    expect(unknown.flow).toContain('arp_tpa=10.8.0.99');
    expect(unknown.note).toContain('10.8.0.99');
  });

  it('parse trace steps with their cookies and outputs', () => {
    const t = parseTrace(ARP_FLOOD);
    expect(t.steps.map((s) => [s.table, s.priority, s.cookie])).toEqual([
      [0, 100, 0x6e73000015000011n],
      [10, 0, 0x6e73000000000003n],
      [20, 50, 0x6e73000015000031n],
    ]);
    expect(t.steps[2]!.match).toBe('metadata=0x15,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00');
    expect(tracedOutputs(t)).toEqual([1]); // output:3 is the input port, skipped by OVS
    expect(t.datapathActions).toBe('2');
  });

  it('explain: same-tenant unicast is allowed, cross-tenant is isolation, ARP flood never reaches another tenant', () => {
    const ok = explainTrace({ src: redA, dst: { kind: 'port', port: redB }, packet: tracePacket(redA, { kind: 'port', port: redB }, { kind: 'icmp' }), ports, trace: parseTrace(UNICAST) });
    expect(ok).toMatchObject({ allowed: true, table: 20, tableName: 'L2 forward' });
    expect(ok.why).toContain('same tenant "red": delivered to vtr1');

    const cross = explainTrace({ src: redA, dst: { kind: 'port', port: blueA }, packet: tracePacket(redA, { kind: 'port', port: blueA }, { kind: 'icmp' }), ports, trace: parseTrace(CROSS) });
    expect(cross).toMatchObject({ allowed: false, table: 20 });
    expect(cross.why).toMatch(/tenants are isolated: vtr2 .*tenant blue/);

    const arp = explainTrace({ src: redA, dst: { kind: 'port', port: blueA }, packet: tracePacket(redA, { kind: 'port', port: blueA }, { kind: 'arp' }), ports, trace: parseTrace(ARP_FLOOD) });
    expect(arp.allowed).toBe(false);
    expect(arp.why).toContain('10.8.0.3 belongs to tenant "blue", which never sees it');
  });

  it('explain: a tagged frame is dropped by port security, which says only untagged frames are accepted', () => {
    const dst = { kind: 'port' as const, port: redB };
    const v = explainTrace({ src: redA, dst, packet: tracePacket(redA, dst, { kind: 'icmp' }, 22), ports, trace: parseTrace(TAGGED) });
    expect(v).toMatchObject({ allowed: false, table: 0, tableName: 'classify + port security' });
    expect(v.why).toBe('port security: vtr0 accepts untagged frames only; this one carries an 802.1Q tag (VLAN 22)');
    const prio = explainTrace({ src: redA, dst, packet: tracePacket(redA, dst, { kind: 'icmp' }, 0), ports, trace: parseTrace(TAGGED) });
    expect(prio.why).toContain('(VLAN 0, priority-tagged)');
    // Untagged and still dropped there: spoofing, said as such.
    const spoofed = explainTrace({ src: { ...redA, mac: '02:00:00:0a:00:99' }, dst, packet: tracePacket(redA, dst, { kind: 'icmp' }), ports, trace: parseTrace(TAGGED) });
    expect(spoofed.why).toContain('may only send untagged IPv4 with its own MAC 02:00:00:0a:00:99');
  });

  it('explain: a port without flows is "not programmed"', () => {
    const src = { ...redA, ofport: 9 };
    const v = explainTrace({ src, dst: { kind: 'port', port: redB }, packet: tracePacket(src, { kind: 'port', port: redB }, { kind: 'icmp' }), ports, trace: parseTrace(UNKNOWN_PORT) });
    expect(v).toMatchObject({ allowed: false, table: 0, tableName: 'classify + port security' });
    expect(v.why).toContain('not programmed');
  });
});
