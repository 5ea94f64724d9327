import type { Flow } from '../../openflow/index.js';
import { encodeCookie } from './cookie.js';
import { isUsableOfport } from '../../net/ofport.js';
import { Category, MULTICAST_DST, Priority, Table, UNTAGGED } from './tables.js';
import { ipv6BaseFlows, ipv6PortFlows, type Ipv6PipelineOptions } from './ipv6-flows.js';

export { COOKIE_OWNER, COOKIE_OWNER_MASK, OWNER_COOKIE, decodeCookie, encodeCookie, isOurCookie, type CookieParts } from './cookie.js';
export { Category, Priority, Table, MULTICAST_DST, UNTAGGED, categoryName, type CategoryName } from './tables.js';
export { IPV6_BASE_FLOWS, IPV6_FLOWS_PER_PORT, ipv6BaseFlows, ipv6PortFlows, type Ipv6FlowPort, type Ipv6PipelineOptions } from './ipv6-flows.js';

/** A workload port as the pipeline needs it (ofport from OVSDB, the rest from our external_ids). */
export interface FlowPort {
  readonly portName: string;
  readonly ofport: number;
  readonly mac: string;
  /** IPv4 address; absent for a port of an IPv6-only tenant (no IPv4 or ARP allowed from it, none answered for it). */
  readonly ip?: string;
  readonly tenantId: number;
  readonly tenant: string;
  /** Dual-stack and IPv6-only ports: the global IPv6 address (RFC 5952); absent = IPv4 only (IPv6 from it is dropped). */
  readonly ip6?: string;
}

/** A tenant gateway port: always an IPv4 address (the gateway is IPv4-only). */
export interface GatewayFlowPort extends FlowPort {
  readonly ip: string;
}

/** Flows every port contributes; the pipeline never grows faster than this per port. */
export const FLOWS_PER_PORT = 5;
/** Flows every tenant with at least one port contributes. */
export const FLOWS_PER_TENANT = 1;
/** Flows a tenant's gateway port contributes. */
export const FLOWS_PER_GATEWAY = 5;

/** Ports whose ofport OVS has assigned (new ports read -1 or [] until ovs-vswitchd picks one). */
export function hasUsableOfport(p: FlowPort): boolean {
  return isUsableOfport(p.ofport);
}

function metadata(tenantId: number): string {
  return `0x${tenantId.toString(16)}`;
}

/** Flows that do not depend on any port: each table's miss, and the IPv6 policy. */
export function baseFlows(): Flow[] {
  const c = (cat: number) => encodeCookie(0, cat);
  return [
    { table: Table.classify, priority: Priority.tableMiss, match: '', actions: 'drop', cookie: c(Category.classifyMiss) },
    { table: Table.classify, priority: Priority.ipv6Drop, match: 'ipv6', actions: 'drop', cookie: c(Category.ipv6Drop) },
    // Addresses are static: no port may act as a DHCP server (a rogue OFFER/ACK would re-address a neighbour).
    { table: Table.classify, priority: Priority.dhcpServerDrop, match: 'udp,tp_src=67', actions: 'drop', cookie: c(Category.dhcpServerDrop) },
    { table: Table.arp, priority: Priority.tableMiss, match: '', actions: `goto_table:${Table.l2}`, cookie: c(Category.arpMiss) },
    { table: Table.l2, priority: Priority.tableMiss, match: '', actions: 'drop', cookie: c(Category.l2Miss) },
  ];
}

/** The ARP answer the switch gives for `ip` (owned by `mac`): the request turned into a reply, sent back. */
function arpResponder(tenantId: number, mac: string, ip: string, cookie: bigint): Flow {
  return {
    table: Table.arp, priority: Priority.arpResponder, cookie,
    match: `arp,metadata=${metadata(tenantId)},arp_tpa=${ip},arp_op=1`,
    actions: [
      'move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]',
      `set_field:${mac}->eth_src`,
      'set_field:2->arp_op',
      'move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[]',
      'move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[]',
      `set_field:${mac}->arp_sha`,
      `set_field:${ip}->arp_spa`,
      'IN_PORT',
    ].join(','),
  };
}

/**
 * The FLOWS_PER_GATEWAY flows of a tenant's gateway port (the host's side
 * of the tenant): it may send IPv4 from its own MAC with any source address
 * (it routes: replies from the world carry the world's addresses; the host's
 * nftables decide what it forwards), and ARP only as itself. The switch
 * answers ARP for the gateway address, and unicast to its MAC reaches it.
 * Broadcasts of the tenant do not (it is not in the flood flow).
 */
export function gatewayFlows(g: GatewayFlowPort): Flow[] {
  const mac = g.mac.toLowerCase();
  const md = metadata(g.tenantId);
  const c = (cat: number) => encodeCookie(g.tenantId, cat);
  const at = g.ofport;
  return [
    {
      table: Table.classify, priority: Priority.portAllow, cookie: c(Category.gatewayIp),
      match: `ip,in_port=${at},${UNTAGGED},dl_src=${mac}`,
      actions: `write_metadata:${md},goto_table:${Table.l2}`,
    },
    {
      table: Table.classify, priority: Priority.portAllow, cookie: c(Category.gatewayArp),
      match: `arp,in_port=${at},${UNTAGGED},dl_src=${mac},arp_spa=${g.ip},arp_sha=${mac}`,
      actions: `write_metadata:${md},goto_table:${Table.arp}`,
    },
    { table: Table.classify, priority: Priority.portSpoofDrop, cookie: c(Category.portSpoofDrop), match: `in_port=${at}`, actions: 'drop' },
    arpResponder(g.tenantId, mac, g.ip, c(Category.arpResponder)),
    { table: Table.l2, priority: Priority.l2Unicast, cookie: c(Category.l2Unicast), match: `metadata=${md},dl_dst=${mac}`, actions: `output:${at}` },
  ];
}

/**
 * The FLOWS_PER_PORT flows of one port: port security (untagged frames only:
 * own MAC + own IPv4, ARP with own sender MAC and IP; anything else, VLAN-
 * tagged frames and other ethertypes included, dropped), the ARP answer for
 * its address, and unicast delivery to it, all scoped to its tenant. A port
 * of an IPv6-only tenant (no IPv4 address) has no IPv4 allow, ARP allow or
 * ARP answer: its per-port drop takes every IPv4 and ARP frame it sends.
 */
export function portFlows(p: FlowPort, opts: Ipv6PipelineOptions = {}): Flow[] {
  const mac = p.mac.toLowerCase();
  const md = metadata(p.tenantId);
  const c = (cat: number) => encodeCookie(p.tenantId, cat);
  const at = p.ofport;
  const ipv6 = p.ip6 === undefined ? [] : ipv6PortFlows({ ofport: at, mac, tenantId: p.tenantId, ip6: p.ip6 }, opts);
  if (p.ip === undefined) {
    return [
      { table: Table.classify, priority: Priority.portSpoofDrop, cookie: c(Category.portSpoofDrop), match: `in_port=${at}`, actions: 'drop' },
      { table: Table.l2, priority: Priority.l2Unicast, cookie: c(Category.l2Unicast), match: `metadata=${md},dl_dst=${mac}`, actions: `output:${at}` },
      ...ipv6,
    ];
  }
  return [
    {
      table: Table.classify, priority: Priority.portAllow, cookie: c(Category.portIp),
      match: `ip,in_port=${at},${UNTAGGED},dl_src=${mac},nw_src=${p.ip}`,
      actions: `write_metadata:${md},goto_table:${Table.l2}`,
    },
    {
      table: Table.classify, priority: Priority.portAllow, cookie: c(Category.portArp),
      match: `arp,in_port=${at},${UNTAGGED},dl_src=${mac},arp_spa=${p.ip},arp_sha=${mac}`,
      actions: `write_metadata:${md},goto_table:${Table.arp}`,
    },
    { table: Table.classify, priority: Priority.portSpoofDrop, cookie: c(Category.portSpoofDrop), match: `in_port=${at}`, actions: 'drop' },
    arpResponder(p.tenantId, mac, p.ip, c(Category.arpResponder)),
    { table: Table.l2, priority: Priority.l2Unicast, cookie: c(Category.l2Unicast), match: `metadata=${md},dl_dst=${mac}`, actions: `output:${at}` },
    ...ipv6,
  ];
}

/** The tenant's one flood flow: broadcast and multicast reach only its own ports (OVS skips in_port). */
export function tenantFlows(tenantId: number, ofports: readonly number[]): Flow[] {
  if (ofports.length === 0) return [];
  const sorted = [...new Set(ofports)].sort((a, b) => a - b);
  return [
    {
      table: Table.l2, priority: Priority.l2Flood, cookie: encodeCookie(tenantId, Category.l2Flood),
      match: `metadata=${metadata(tenantId)},dl_dst=${MULTICAST_DST}`,
      actions: sorted.map((o) => `output:${o}`).join(','),
    },
  ];
}

/**
 * The whole pipeline for a set of ports: base flows + FLOWS_PER_PORT per
 * port + FLOWS_PER_GATEWAY per tenant gateway + one flood flow per tenant
 * (listing its workload ports). Pure and
 * deterministic; ports without a usable ofport are left out until they get
 * one. Nothing is O(ports²): a tenant's flows depend only on its own ports.
 */
export function pipelineFlows(ports: readonly FlowPort[], gateways: readonly GatewayFlowPort[] = [], opts: Ipv6PipelineOptions = {}): Flow[] {
  const usable = ports.filter(hasUsableOfport).sort((a, b) => a.ofport - b.ofport);
  const flows = baseFlows();
  for (const g of gateways.filter(hasUsableOfport).sort((a, b) => a.ofport - b.ofport)) flows.push(...gatewayFlows(g));
  const byTenant = new Map<number, number[]>();
  for (const p of usable) {
    flows.push(...portFlows(p, opts));
    const list = byTenant.get(p.tenantId);
    if (list) list.push(p.ofport);
    else byTenant.set(p.tenantId, [p.ofport]);
  }
  for (const [tenantId, ofports] of [...byTenant].sort((a, b) => a[0] - b[0])) flows.push(...tenantFlows(tenantId, ofports));
  // IPv4-only bridges keep exactly their flows: the IPv6 tables exist once a dual-stack port does.
  if (usable.some((p) => p.ip6 !== undefined)) flows.push(...ipv6BaseFlows(opts));
  return flows;
}
