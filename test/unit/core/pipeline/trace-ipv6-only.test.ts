import { describe, expect, it } from 'vitest';
import { parseTracedPorts } from '../../../../src/cli/traced-ports-vsctl.js';
import { tracePacket } from '../../../../src/core/pipeline/trace/trace-packet.js';
import { inSubnetOf, type TracedPort } from '../../../../src/core/pipeline/trace/traced-port.js';

// Ports of an IPv6-only tenant: no IPv4 address at all.
const a: TracedPort = { name: 'vA', ofport: 3, netns: '/run/netns/six-a', mac: '02:00:00:00:00:03', tenant: 'six', tenantId: 9, ip6: 'fd00:60::2' };
const b: TracedPort = { name: 'vB', ofport: 4, netns: '/run/netns/six-b', mac: '02:00:00:00:00:04', tenant: 'six', tenantId: 9, ip6: 'fd00:60::3' };
const dual: TracedPort = { name: 'vD', ofport: 5, netns: '/run/netns/dual-a', ip: '10.0.0.2', prefixLen: 24, mac: '02:00:00:00:00:05', tenant: 'd', tenantId: 7, ip6: 'fd00:10::2' };

describe('nsvswitch trace with ports of an IPv6-only tenant', () => {
  it('reads a port recorded with nsvswitch-ip6 only (it used to be skipped as "not plugged yet")', () => {
    const json = JSON.stringify({
      headings: ['name', 'ofport', 'external_ids'],
      data: [['vA', 3, ['map', [['nsvswitch-netns', '/run/netns/six-a'], ['nsvswitch-ip6', 'fd00:60::2/64'], ['nsvswitch-mac', '02:00:00:00:00:03'], ['nsvswitch-tenant', 'six'], ['nsvswitch-tenant-id', '9']]]]],
    });
    expect(parseTracedPorts(json)).toEqual([a]);
  });

  it('traces IPv6 by default between them (icmp, tcp, udp become their IPv6 forms), and to or from one from a dual-stack port', () => {
    expect(tracePacket(a, { kind: 'port', port: b }, { kind: 'icmp' }).flow)
      .toBe('icmp6,in_port=3,dl_src=02:00:00:00:00:03,dl_dst=02:00:00:00:00:04,ipv6_src=fd00:60::2,ipv6_dst=fd00:60::3,nw_ttl=64,icmpv6_type=128,icmpv6_code=0');
    expect(tracePacket(a, { kind: 'port', port: b }, { kind: 'tcp', port: 80 }).flow).toMatch(/^tcp6,.*ipv6_src=fd00:60::2,ipv6_dst=fd00:60::3,.*tp_dst=80$/);
    expect(tracePacket(dual, { kind: 'port', port: a }, { kind: 'udp', port: 53 }).flow).toMatch(/^udp6,.*ipv6_src=fd00:10::2,ipv6_dst=fd00:60::2,/);
  });

  it('traces an ARP asked for by name as the port would have to send it, from 0.0.0.0', () => {
    expect(tracePacket(a, { kind: 'port', port: b }, { kind: 'arp' }).flow)
      .toBe('arp,in_port=3,dl_src=02:00:00:00:00:03,dl_dst=ff:ff:ff:ff:ff:ff,arp_op=1,arp_spa=0.0.0.0,arp_tpa=0.0.0.0,arp_sha=02:00:00:00:00:03,arp_tha=00:00:00:00:00:00');
  });

  it('has no IPv4 subnet: no IPv4 address is inside it', () => {
    expect(inSubnetOf(a, '10.0.0.3')).toBe(false);
    expect(inSubnetOf(dual, '10.0.0.3')).toBe(true);
  });
});
