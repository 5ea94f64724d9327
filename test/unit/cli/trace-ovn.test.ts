import { describe, expect, it } from 'vitest';
import { ovnMicroflow, ovnVerdict, type OvnTracedPort } from '../../../src/cli/trace-ovn.js';
import { tracePacket } from '../../../src/core/pipeline/trace/trace-packet.js';

// `ovn-trace --minimal` as OVN 23.03 prints it for a delivered and a dropped packet.
const DELIVERED = `# icmp,reg14=0x1,vlan_tci=0x0000,dl_src=02:79:c5:b7:e0:87,dl_dst=02:68:1b:b9:5a:31,nw_src=10.1.0.1,nw_dst=10.1.0.2,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,icmp_type=8,icmp_code=0
output("nsvs-h2-nsvd916eb21370e");
`;
const DROPPED = `# icmp,reg14=0x1,vlan_tci=0x0000,dl_src=02:79:c5:b7:e0:87,dl_dst=02:11:22:33:44:55,nw_src=10.1.0.1,nw_dst=10.2.0.1,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,icmp_type=8,icmp_code=0
`;

const src: OvnTracedPort = { name: 'nsvs-h1-a', lsp: 'nsvs-h1-a', chassis: 'h1', ofport: 32768, netns: '/run/netns/blue-a', ip: '10.1.0.1', mac: '02:79:c5:b7:e0:87', tenant: 'blue', tenantId: 0 };
const dst: OvnTracedPort = { name: 'nsvs-h2-b', lsp: 'nsvs-h2-b', chassis: 'h2', ofport: -1, netns: '/run/netns/blue-b', ip: '10.1.0.2', mac: '02:68:1b:b9:5a:31', tenant: 'blue', tenantId: 0 };

describe('nsvswitch trace with backend ovn (pure parts)', () => {
  it('allows only an output to the destination\'s logical port', () => {
    expect(ovnVerdict(DELIVERED, 'nsvs-h2-nsvd916eb21370e')).toEqual({ allowed: true, outputs: ['nsvs-h2-nsvd916eb21370e'] });
    expect(ovnVerdict(DELIVERED, 'nsvs-h3-other').allowed).toBe(false);
    expect(ovnVerdict(DROPPED, 'nsvs-h2-x')).toEqual({ allowed: false, outputs: [] });
    // An address no port has: any delivery (the ARP flood) counts.
    expect(ovnVerdict(DELIVERED, undefined).allowed).toBe(true);
  });

  it('writes the packet tracePacket describes in OVN\'s microflow syntax', () => {
    const target = { kind: 'port' as const, port: dst };
    expect(ovnMicroflow(src, target, tracePacket(src, target, { kind: 'icmp' }))).toBe(
      'inport == "nsvs-h1-a" && eth.src == 02:79:c5:b7:e0:87 && eth.dst == 02:68:1b:b9:5a:31 && ip4.src == 10.1.0.1 && ip4.dst == 10.1.0.2 && ip.ttl == 64 && icmp4.type == 8 && icmp4.code == 0');
    expect(ovnMicroflow(src, target, tracePacket(src, target, { kind: 'tcp', port: 80 }))).toMatch(/&& tcp\.src == 40000 && tcp\.dst == 80$/);
    expect(ovnMicroflow(src, target, tracePacket(src, target, { kind: 'arp' }))).toBe(
      'inport == "nsvs-h1-a" && eth.src == 02:79:c5:b7:e0:87 && eth.dst == ff:ff:ff:ff:ff:ff && arp && arp.op == 1 && arp.sha == 02:79:c5:b7:e0:87 && arp.spa == 10.1.0.1 && arp.tpa == 10.1.0.2');
    expect(ovnMicroflow(src, target, tracePacket(src, target, { kind: 'icmp' }, 7))).toContain('&& vlan.present && vlan.vid == 7 &&');
  });
});
