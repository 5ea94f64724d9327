import { describe, expect, it } from 'vitest';
import { parseProto, tracePacket } from '../../../../src/core/pipeline/trace/trace-packet.js';
import type { TracedPort } from '../../../../src/core/pipeline/trace/traced-port.js';

const a: TracedPort = { name: 'vA', ofport: 3, netns: '/run/netns/a', ip: '10.0.0.2', mac: '02:00:00:00:00:03', tenant: 't', tenantId: 7, ip6: 'fd00::2' };
const b: TracedPort = { name: 'vB', ofport: 4, netns: '/run/netns/b', ip: '10.0.0.3', mac: '02:00:00:00:00:04', tenant: 't', tenantId: 7, ip6: 'fd00::3' };
const v4only: TracedPort = { ...b, name: 'vC', ip6: undefined as unknown as string };

describe('trace packets for IPv6', () => {
  it('parses icmp6 and nd', () => {
    expect(parseProto('icmp6')).toEqual({ kind: 'icmp6' });
    expect(parseProto('nd')).toEqual({ kind: 'nd' });
  });

  it('builds ICMPv6 echo, TCP and UDP over IPv6 from the source\'s own MAC and global address', () => {
    expect(tracePacket(a, { kind: 'port', port: b }, { kind: 'icmp6' }).flow)
      .toBe('icmp6,in_port=3,dl_src=02:00:00:00:00:03,dl_dst=02:00:00:00:00:04,ipv6_src=fd00::2,ipv6_dst=fd00::3,nw_ttl=64,icmpv6_type=128,icmpv6_code=0');
    expect(tracePacket(a, { kind: 'port', port: b }, { kind: 'tcp', port: 80 }, undefined, 'fd00::3').flow)
      .toBe('tcp6,in_port=3,dl_src=02:00:00:00:00:03,dl_dst=02:00:00:00:00:04,ipv6_src=fd00::2,ipv6_dst=fd00::3,nw_ttl=64,tp_src=40000,tp_dst=80');
  });

  it('uses the link-local source towards a link-local destination, and for a port without an IPv6 address', () => {
    expect(tracePacket(a, { kind: 'port', port: b }, { kind: 'udp', port: 53 }, undefined, 'fe80::ff:fe00:4').flow).toContain('ipv6_src=fe80::ff:fe00:3,ipv6_dst=fe80::ff:fe00:4');
    expect(tracePacket(v4only, { kind: 'port', port: b }, { kind: 'icmp6' }).flow).toContain('ipv6_src=fe80::ff:fe00:4,');
  });

  it('traces the neighbour solicitation to the solicited-node group for nd, and for an address no port has', () => {
    const ns = 'icmp6,in_port=3,dl_src=02:00:00:00:00:03,dl_dst=33:33:ff:00:00:03,ipv6_src=fd00::2,ipv6_dst=ff02::1:ff00:3,nw_ttl=255,icmpv6_type=135,icmpv6_code=0,nd_target=fd00::3,nd_sll=02:00:00:00:00:03';
    expect(tracePacket(a, { kind: 'port', port: b }, { kind: 'nd' }).flow).toBe(ns);
    const none = tracePacket(a, { kind: 'address', ip: 'fd00::3' }, { kind: 'icmp' });
    expect(none).toMatchObject({ flow: ns, proto: { kind: 'nd' } });
    expect(none.note).toContain('no nsvswitch port has address fd00::3');
  });
});
