/**
 * The match fields nsvswitch writes and reads, by ovs-ofctl name, with their
 * OXM (OpenFlow basic class) numbers from ovs-fields(7) / lib/meta-flow.xml,
 * and the Nicira NXM header OVS prints for `move`. Anything else read from a
 * switch round-trips through the generic `oxm_*` form (see match-codec.ts).
 */
export type FieldKind = 'uint' | 'hex' | 'mac' | 'ipv4' | 'ipv6';

export interface FieldSpec {
  /** The name ovs-ofctl prints. */
  readonly name: string;
  /** OXM field number (OXM_OF_* in class 0x8000 unless `cls` says otherwise). */
  readonly oxm: number;
  /** OXM class when not the OpenFlow basic class (0x8000): ERICOXM_OF_ is 0x1000. */
  readonly cls?: number;
  /** Value width in bytes. */
  readonly bytes: number;
  readonly kind: FieldKind;
  /** Print order (OVS's match_format order for these fields). */
  readonly order: number;
  /** The NXM name OVS prints in `move:` (e.g. NXM_OF_ETH_SRC), when the field has one. */
  readonly nxm?: { readonly name: string; readonly cls: number; readonly field: number };
}

const F = (name: string, oxm: number, bytes: number, kind: FieldKind, order: number, nxm?: FieldSpec['nxm'], cls?: number): FieldSpec =>
  ({ name, oxm, bytes, kind, order, ...(nxm ? { nxm } : {}), ...(cls === undefined ? {} : { cls }) });

/** ERICOXM_OF_ (OVS's build-aux/extract-ofp-fields): the class of nd_reserved and nd_options_type, no experimenter id. */
export const ERICOXM_CLASS = 0x1000;

export const FIELDS: readonly FieldSpec[] = [
  F('metadata', 2, 8, 'hex', 10),
  F('in_port', 0, 4, 'uint', 20, { name: 'NXM_OF_IN_PORT', cls: 0, field: 0 }),
  F('vlan_tci', 6, 2, 'hex', 30),
  F('dl_src', 4, 6, 'mac', 40, { name: 'NXM_OF_ETH_SRC', cls: 0, field: 2 }),
  F('dl_dst', 3, 6, 'mac', 41, { name: 'NXM_OF_ETH_DST', cls: 0, field: 1 }),
  F('dl_type', 5, 2, 'hex', 50, { name: 'NXM_OF_ETH_TYPE', cls: 0, field: 3 }),
  F('nw_src', 11, 4, 'ipv4', 60, { name: 'NXM_OF_IP_SRC', cls: 0, field: 7 }),
  F('nw_dst', 12, 4, 'ipv4', 61, { name: 'NXM_OF_IP_DST', cls: 0, field: 8 }),
  F('arp_spa', 22, 4, 'ipv4', 62, { name: 'NXM_OF_ARP_SPA', cls: 0, field: 16 }),
  F('arp_tpa', 23, 4, 'ipv4', 63, { name: 'NXM_OF_ARP_TPA', cls: 0, field: 17 }),
  F('ipv6_src', 26, 16, 'ipv6', 64, { name: 'NXM_NX_IPV6_SRC', cls: 1, field: 19 }),
  F('ipv6_dst', 27, 16, 'ipv6', 65, { name: 'NXM_NX_IPV6_DST', cls: 1, field: 20 }),
  F('nw_proto', 10, 1, 'uint', 70, { name: 'NXM_OF_IP_PROTO', cls: 0, field: 6 }),
  F('arp_op', 21, 2, 'uint', 71, { name: 'NXM_OF_ARP_OP', cls: 0, field: 15 }),
  F('arp_sha', 24, 6, 'mac', 80, { name: 'NXM_NX_ARP_SHA', cls: 1, field: 17 }),
  F('arp_tha', 25, 6, 'mac', 81, { name: 'NXM_NX_ARP_THA', cls: 1, field: 18 }),
  // ICMPv6 and neighbour discovery: OVS prints the type as icmp_type in a match, icmpv6_type in set_field.
  F('icmpv6_type', 29, 1, 'uint', 82, { name: 'NXM_NX_ICMPV6_TYPE', cls: 1, field: 21 }),
  F('nd_target', 31, 16, 'ipv6', 83, { name: 'NXM_NX_ND_TARGET', cls: 1, field: 23 }),
  F('nd_sll', 32, 6, 'mac', 84, { name: 'NXM_NX_ND_SLL', cls: 1, field: 24 }),
  F('nd_tll', 33, 6, 'mac', 85, { name: 'NXM_NX_ND_TLL', cls: 1, field: 25 }),
  F('nd_reserved', 1, 4, 'uint', 86, undefined, ERICOXM_CLASS),
  F('nd_options_type', 2, 1, 'uint', 87, undefined, ERICOXM_CLASS),
  F('tcp_src', 13, 2, 'uint', 90, { name: 'NXM_OF_TCP_SRC', cls: 0, field: 9 }),
  F('tcp_dst', 14, 2, 'uint', 91, { name: 'NXM_OF_TCP_DST', cls: 0, field: 10 }),
  F('udp_src', 15, 2, 'uint', 92, { name: 'NXM_OF_UDP_SRC', cls: 0, field: 11 }),
  F('udp_dst', 16, 2, 'uint', 93, { name: 'NXM_OF_UDP_DST', cls: 0, field: 12 }),
];

/** By OXM header id without mask bit and length: class << 16 | field << 9. */
export const FIELD_BY_OXM_ID: ReadonlyMap<number, FieldSpec> = new Map(FIELDS.map((f) => [fieldOxmId(f), f]));

/** A field's OXM header id (class << 16 | field << 9). */
export function fieldOxmId(f: FieldSpec): number {
  return (((f.cls ?? 0x8000) << 16) | (f.oxm << 9)) >>> 0;
}
export const FIELD_BY_NAME: ReadonlyMap<string, FieldSpec> = new Map(FIELDS.map((f) => [f.name, f]));
export const FIELD_BY_NXM_NAME: ReadonlyMap<string, FieldSpec> = new Map(FIELDS.filter((f) => f.nxm).map((f) => [f.nxm!.name, f]));

/** ovs-fields(7) aliases of the names above (set_field uses the OXM-style names). */
export const FIELD_ALIASES: ReadonlyMap<string, string> = new Map([
  ['eth_src', 'dl_src'],
  ['eth_dst', 'dl_dst'],
  ['eth_type', 'dl_type'],
  ['ip_src', 'nw_src'],
  ['ip_dst', 'nw_dst'],
  ['ipv4_src', 'nw_src'],
  ['ipv4_dst', 'nw_dst'],
  ['ip_proto', 'nw_proto'],
  ['icmp_type', 'icmpv6_type'],
]);

/** set_field prints the destination with these names (OVS's mf_field names). */
export const SET_FIELD_NAMES: ReadonlyMap<string, string> = new Map([
  ['dl_src', 'eth_src'],
  ['dl_dst', 'eth_dst'],
  ['dl_type', 'eth_type'],
  ['nw_src', 'ip_src'],
  ['nw_dst', 'ip_dst'],
  ['nw_proto', 'nw_proto'],
]);

export const ETH_TYPE = { ip: 0x0800, arp: 0x0806, ipv6: 0x86dd } as const;
export const IP_PROTO = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58 } as const;
/** OXM_OF_VLAN_VID's "a tag is present" bit (the CFI bit of vlan_tci). */
export const OFPVID_PRESENT = 0x1000;
