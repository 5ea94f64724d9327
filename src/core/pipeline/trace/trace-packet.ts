import type { TracedPort } from './traced-port.js';
import { eui64LinkLocal, isIpv6, multicastMac6, parseCidr6, parseIpv6, solicitedNode } from '../../../net/ipv6.js';

/** `icmp6` and `nd` (the neighbour solicitation for DST's IPv6 address) are IPv6; tcp/udp follow DST's family. */
export type TraceProto = { kind: 'icmp' } | { kind: 'arp' } | { kind: 'icmp6' } | { kind: 'nd' } | { kind: 'tcp' | 'udp'; port: number };

/** Where the packet goes: one of our ports, or a bare address no port owns. */
export type TraceTarget =
  | { kind: 'port'; port: TracedPort }
  | { kind: 'address'; ip: string }
  /** An address outside the source's subnet: the packet goes to the tenant's gateway port (its default route). */
  | { kind: 'via-gateway'; ip: string; gateway: TracedPort };

export interface TracePacket {
  /** The flow for `ovs-appctl ofproto/trace BRIDGE FLOW`. */
  readonly flow: string;
  readonly proto: TraceProto;
  /** 802.1Q VLAN id the packet is tagged with (undefined: untagged, what a workload normally sends). */
  readonly vlan?: number;
  /** Set when the packet traced differs from the one asked for, and why. */
  readonly note?: string;
}

/** Source port of the TCP/UDP packets traced (any ephemeral port does). */
const EPHEMERAL_PORT = 40000;
const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
const UNSPECIFIED = '0.0.0.0';

/** A VLAN id for `--vlan` (0 = priority-tagged, up to 4095); undefined when malformed. */
export function parseVlan(text: string): number | undefined {
  if (!/^\d{1,4}$/.test(text)) return undefined;
  const vid = Number(text);
  return vid <= 4095 ? vid : undefined;
}

/** `icmp`, `arp`, `icmp6`, `nd`, `tcp/PORT`, `udp/PORT`; undefined when malformed. */
export function parseProto(text: string): TraceProto | undefined {
  if (text === 'icmp' || text === 'arp' || text === 'icmp6' || text === 'nd') return { kind: text };
  const m = /^(tcp|udp)\/(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { kind: m[1] as 'tcp' | 'udp', port };
}

/**
 * The packet SRC would put on the wire: from its port, with its own MAC and
 * IPv4. IP packets carry the destination port's MAC (what ARP would have
 * resolved); for an address no port owns, that MAC is unknown, so the ARP
 * request the sender would send first is traced instead. With `vlan`, the
 * same packet carries an 802.1Q tag (port security drops tagged frames).
 */
export function tracePacket(src: TracedPort, dst: TraceTarget, proto: TraceProto, vlan?: number, dstIp6?: string): TracePacket {
  if (dstIp6 !== undefined || proto.kind === 'icmp6' || proto.kind === 'nd' || (dst.kind !== 'port' && isIpv6(dst.ip))) return tracePacket6(src, dst, proto, vlan, dstIp6);
  // A port of an IPv6-only tenant (no IPv4 address) on either end: the packet is IPv6, except an ARP asked for
  // by name, traced as SRC would have to send it (from 0.0.0.0: port security drops it).
  const noIpv4 = src.ip === undefined || (dst.kind === 'port' && dst.port.ip === undefined);
  if (noIpv4 && proto.kind !== 'arp' && dst.kind === 'port') return tracePacket6(src, dst, proto, vlan);
  const dstIp = (dst.kind === 'port' ? dst.port.ip : dst.ip) ?? UNSPECIFIED;
  const srcIp = src.ip ?? UNSPECIFIED;
  const dstMac = dst.kind === 'port' ? dst.port.mac : dst.kind === 'via-gateway' ? dst.gateway.mac : undefined;
  const tag = vlan === undefined ? '' : `,dl_vlan=${vlan}`;
  const base = `in_port=${src.ofport}${tag},dl_src=${src.mac}`;
  const tagged = vlan === undefined ? {} : { vlan };
  const arp = (): string => `arp,${base},dl_dst=${BROADCAST_MAC},arp_op=1,arp_spa=${srcIp},arp_tpa=${dstIp},arp_sha=${src.mac},arp_tha=00:00:00:00:00:00`;
  if (proto.kind === 'arp') return { flow: arp(), proto, ...tagged };
  if (dst.kind === 'address') {
    return { flow: arp(), proto: { kind: 'arp' }, ...tagged, note: `no nsvswitch port has address ${dstIp}: traced the ARP request ${srcIp} sends first` };
  }
  const ip = `${base},dl_dst=${dstMac},nw_src=${srcIp},nw_dst=${dstIp},nw_ttl=64`;
  const routed = dst.kind === 'via-gateway' ? { note: `${dstIp} is outside the tenant's subnet: traced to its gateway port ${dst.gateway.name} (${dst.gateway.ip}); beyond it the host's routes and nsvswitch's nftables decide` } : {};
  if (proto.kind === 'icmp') return { flow: `icmp,${ip},icmp_type=8,icmp_code=0`, proto, ...tagged, ...routed };
  return { flow: `${proto.kind},${ip},${proto.kind}_src=${EPHEMERAL_PORT},${proto.kind}_dst=${proto.port}`, proto, ...tagged, ...routed };
}

const LINK_LOCAL = parseCidr6('fe80::/10')!;

/** Whether an IPv6 address is link-local (fe80::/10). */
function isLinkLocal6(ip: string): boolean {
  const n = parseIpv6(ip);
  return n !== undefined && n >> 118n === LINK_LOCAL.address >> 118n;
}

/**
 * The IPv6 packet SRC would send: from its own MAC and its global address (its EUI-64 link-local one
 * when DST is link-local, or when SRC has no IPv6 address: an IPv4-only port still has one), to DST's
 * MAC. For an address no port owns, and for `nd`, the neighbour solicitation SRC sends first.
 */
function tracePacket6(src: TracedPort, dst: TraceTarget, proto: TraceProto, vlan?: number, dstIp6?: string): TracePacket {
  const dstIp = dstIp6 ?? (dst.kind === 'port' ? (dst.port.ip6 ?? eui64LinkLocal(dst.port.mac)) : dst.ip);
  const srcIp = isLinkLocal6(dstIp) || src.ip6 === undefined ? eui64LinkLocal(src.mac) : src.ip6;
  const tag = vlan === undefined ? '' : `,dl_vlan=${vlan}`;
  const base = `in_port=${src.ofport}${tag},dl_src=${src.mac}`;
  const tagged = vlan === undefined ? {} : { vlan };
  const ns = (): string => {
    const group = solicitedNode(dstIp);
    return `icmp6,${base},dl_dst=${multicastMac6(group)},ipv6_src=${srcIp},ipv6_dst=${group},nw_ttl=255,icmpv6_type=135,icmpv6_code=0,nd_target=${dstIp},nd_sll=${src.mac}`;
  };
  if (proto.kind === 'nd' || proto.kind === 'arp') return { flow: ns(), proto: { kind: 'nd' }, ...tagged };
  if (dst.kind !== 'port') {
    return { flow: ns(), proto: { kind: 'nd' }, ...tagged, note: `no nsvswitch port has address ${dstIp}: traced the neighbour solicitation ${srcIp} sends first` };
  }
  const ip = `${base},dl_dst=${dst.port.mac},ipv6_src=${srcIp},ipv6_dst=${dstIp},nw_ttl=64`;
  if (proto.kind === 'icmp' || proto.kind === 'icmp6') return { flow: `icmp6,${ip},icmpv6_type=128,icmpv6_code=0`, proto: { kind: 'icmp6' }, ...tagged };
  return { flow: `${proto.kind}6,${ip},tp_src=${EPHEMERAL_PORT},tp_dst=${proto.port}`, proto, ...tagged };
}
