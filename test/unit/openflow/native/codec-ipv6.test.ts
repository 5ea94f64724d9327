import { describe, expect, it } from 'vitest';
import { decodeMatch, encodeMatch } from '../../../../src/openflow/native/match-codec.js';
import { decodeInstructions, encodeInstructions } from '../../../../src/openflow/native/action-codec.js';
import { UnsupportedFlowError } from '../../../../src/openflow/native/unsupported-flow-error.js';
import { pipelineFlows } from '../../../../src/core/pipeline/index.js';

/** The OXM TLVs of an encoded ofp_match (after its 4-byte header, without padding), as hex. */
function oxms(match: string): string {
  const b = encodeMatch(match);
  return b.subarray(4, b.readUInt16BE(2)).toString('hex');
}

const MAC = '020000000003';
const ADDR = 'fd000010000000000000000000000002';

describe('native codec: the IPv6 and neighbour discovery fields (OXM numbers of ovs-fields(7))', () => {
  it('encodes IPv6 port security: eth_type, in_port, vlan_vid (no tag), eth_src, OXM_OF_IPV6_SRC (26)', () => {
    expect(oxms(`ipv6,in_port=3,vlan_tci=0x0000/0x1fff,dl_src=02:00:00:00:00:03,ipv6_src=fd00:10::2`)).toBe(
      // in_port first (the codec's order; the switch takes any), VLAN_VID 0 exact = no tag.
      `8000000400000003` + `80000c020000` + `80000806${MAC}` + `80000a0286dd` + `80003410${ADDR}`,
    );
  });

  it('encodes the ND guard: ip_proto 58, OXM_OF_ICMPV6_TYPE (29), IPV6_ND_TARGET (31), ND_SLL (32), ND_TLL (33)', () => {
    expect(oxms('icmp6,in_port=3,icmp_type=136,nd_target=fd00:10::2,nd_tll=02:00:00:00:00:03')).toBe(
      `8000000400000003` + `80000a0286dd` + `800014013a` + `80003a0188` + `80003e10${ADDR}` + `80004206${MAC}`,
    );
    expect(oxms('icmp6,in_port=3,icmp_type=135,nd_sll=02:00:00:00:00:03')).toBe(`8000000400000003` + `80000a0286dd` + `800014013a` + `80003a0187` + `80004006${MAC}`);
    expect(oxms('udp6,tp_src=547')).toBe(`80000a0286dd` + `8000140111` + `80001e020223`);
  });

  it('prints them back the way ovs-ofctl does (icmp_type in a match, RFC 5952 addresses)', () => {
    for (const m of [
      'ipv6,in_port=3,vlan_tci=0x0000/0x1fff,dl_src=02:00:00:00:00:03,ipv6_src=fe80::ff:fe00:3',
      'icmp6,in_port=3,icmp_type=136,nd_target=fd00:10::2,nd_tll=00:00:00:00:00:00',
      'icmp6,metadata=0x64,icmp_type=135,nd_target=fd00:10::2',
      'icmp6,icmp_type=134',
      'udp6,tp_src=547',
      'ipv6,ipv6_src=fd00:10::/64',
    ]) expect(decodeMatch(encodeMatch(m), 0).text).toBe(m);
  });

  it('refuses icmp_type outside an ICMPv6 match rather than encode ICMPv6\'s field for it', () => {
    expect(() => encodeMatch('icmp,icmp_type=8')).toThrow(UnsupportedFlowError);
    expect(() => encodeMatch('ipv6,ipv6_src=fd00::1::2')).toThrow(UnsupportedFlowError);
  });

  it('encodes the NS-to-NA rewrite: IPv6 copy_field, set_field on IPv6/ND fields and on ERICOXM nd_reserved (0x1000:1) and nd_options_type (0x1000:2)', () => {
    const a = encodeInstructions('move:NXM_NX_IPV6_SRC[]->NXM_NX_IPV6_DST[],set_field:2->nd_options_type,set_field:1610612736->nd_reserved,set_field:136->icmpv6_type,goto_table:15');
    const hex = a.toString('hex');
    // copy_field (28), 128 bits, from OXM_OF_IPV6_SRC to OXM_OF_IPV6_DST.
    expect(hex).toContain('001c0018' + '0080' + '0000' + '0000' + '0000' + '80003410' + '80003610' + '00000000');
    // set_field (25) with an ERICOXM class header: no experimenter id, the value right after the header.
    expect(hex).toContain('00190010' + '10000401' + '02' + '00000000000000');
    expect(hex).toContain('00190010' + '10000204' + '60000000' + '00000000');
    expect(hex).toContain('00190010' + '80003a01' + '88');
    expect(decodeInstructions(a)).toBe('move:NXM_NX_IPV6_SRC[]->NXM_NX_IPV6_DST[],set_field:2->nd_options_type,set_field:1610612736->nd_reserved,set_field:136->icmpv6_type,goto_table:15');
  });

  it('round-trips every flow of a dual-stack pipeline, both ND modes', () => {
    const ports = [1, 2, 3].map((o) => ({ portName: `p${o}`, ofport: o, mac: `02:00:00:00:00:0${o}`, ip: `10.0.0.${o}`, tenantId: 7, tenant: 't', ip6: `fd00::${o}` }));
    for (const ndResponder of [true, false]) {
      for (const f of pipelineFlows(ports, [], { ndResponder })) {
        expect(decodeMatch(encodeMatch(f.match), 0).text, f.match).toBe(f.match);
        expect(decodeInstructions(encodeInstructions(f.actions)), f.actions).toBe(f.actions);
      }
    }
  });
});
