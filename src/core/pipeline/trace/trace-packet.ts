import type { TracedPort } from './traced-port.js';

export type TraceProto = { kind: 'icmp' } | { kind: 'arp' } | { kind: 'tcp' | 'udp'; port: number };

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

/** A VLAN id for `--vlan` (0 = priority-tagged, up to 4095); undefined when malformed. */
export function parseVlan(text: string): number | undefined {
  if (!/^\d{1,4}$/.test(text)) return undefined;
  const vid = Number(text);
  return vid <= 4095 ? vid : undefined;
}

/** `icmp`, `arp`, `tcp/PORT`, `udp/PORT`; undefined when malformed. */
export function parseProto(text: string): TraceProto | undefined {
  if (text === 'icmp' || text === 'arp') return { kind: text };
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
export function tracePacket(src: TracedPort, dst: TraceTarget, proto: TraceProto, vlan?: number): TracePacket {
  const dstIp = dst.kind === 'port' ? dst.port.ip : dst.ip;
  const dstMac = dst.kind === 'port' ? dst.port.mac : dst.kind === 'via-gateway' ? dst.gateway.mac : undefined;
  const tag = vlan === undefined ? '' : `,dl_vlan=${vlan}`;
  const base = `in_port=${src.ofport}${tag},dl_src=${src.mac}`;
  const tagged = vlan === undefined ? {} : { vlan };
  const arp = (): string => `arp,${base},dl_dst=${BROADCAST_MAC},arp_op=1,arp_spa=${src.ip},arp_tpa=${dstIp},arp_sha=${src.mac},arp_tha=00:00:00:00:00:00`;
  if (proto.kind === 'arp') return { flow: arp(), proto, ...tagged };
  if (dst.kind === 'address') {
    return { flow: arp(), proto: { kind: 'arp' }, ...tagged, note: `no nsvswitch port has address ${dstIp}: traced the ARP request ${src.ip} sends first` };
  }
  const ip = `${base},dl_dst=${dstMac},nw_src=${src.ip},nw_dst=${dstIp},nw_ttl=64`;
  const routed = dst.kind === 'via-gateway' ? { note: `${dstIp} is outside the tenant's subnet: traced to its gateway port ${dst.gateway.name} (${dst.gateway.ip}); beyond it the host's routes and nsvswitch's nftables decide` } : {};
  if (proto.kind === 'icmp') return { flow: `icmp,${ip},icmp_type=8,icmp_code=0`, proto, ...tagged, ...routed };
  return { flow: `${proto.kind},${ip},${proto.kind}_src=${EPHEMERAL_PORT},${proto.kind}_dst=${proto.port}`, proto, ...tagged, ...routed };
}
