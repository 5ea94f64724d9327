// The IPv6 half of the pipeline, for dual-stack ports (docs/pipeline.md, "IPv6"): port security by
// source MAC and own addresses (global and EUI-64 link-local), the neighbour discovery guard, the
// switch's answers to neighbour solicitations, and the bridge-wide RA, redirect and DHCPv6-server drops.
import type { Flow } from '../../openflow/index.js';
import { eui64LinkLocal } from '../../net/ipv6.js';
import { encodeCookie } from './cookie.js';
import { Category, Priority, Table, UNTAGGED } from './tables.js';

/** Flows a dual-stack port contributes on top of its IPv4 ones (with or without the switch's ND answers). */
export const IPV6_FLOWS_PER_PORT = 8;
/** Bridge-wide IPv6 flows, present once any dual-stack port is (one fewer without the ND answers). */
export const IPV6_BASE_FLOWS = 8;

/**
 * How the pipeline handles neighbour solicitations. `ndResponder` (default): the switch answers them for
 * the tenant's addresses. That rewrite needs OVS's ND extension fields (nd_reserved, nd_options_type),
 * which only the userspace datapath (`netdev`) implements; on `system` the solicitation is flooded in the
 * tenant and its owner answers itself, through the same ND guard.
 */
export interface Ipv6PipelineOptions {
  readonly ndResponder?: boolean;
}

/** ICMPv6 types the pipeline names (RFC 4861). */
export const Icmp6 = { routerAdvert: 134, neighborSolicit: 135, neighborAdvert: 136, redirect: 137 } as const;
/** DHCPv6 servers and relays send from UDP port 547 (RFC 8415). */
export const DHCP6_SERVER_PORT = 547;
/** The Router, Solicited and Override bits of an NA's first word: the switch's answers set S and O. */
export const NA_SOLICITED_OVERRIDE = 0x60000000;
/** ND option types (nd_options_type): 1 source, 2 target link-layer address. */
const ND_OPT_TARGET_LL = 2;
/** nd_tll of an advertisement without a target link-layer option. */
const NO_MAC = '00:00:00:00:00:00';

/** A dual-stack port: its IPv4 FlowPort fields plus its global IPv6 address. */
export interface Ipv6FlowPort {
  readonly ofport: number;
  readonly mac: string;
  readonly tenantId: number;
  /** Global (or unique-local) IPv6 address, RFC 5952 text. */
  readonly ip6: string;
}

function metadata(tenantId: number): string {
  return `0x${tenantId.toString(16)}`;
}

/** The bridge-wide IPv6 flows: RA guard, DHCPv6-server drop, the ND guard's drops and both new tables' misses. */
export function ipv6BaseFlows(opts: Ipv6PipelineOptions = {}): Flow[] {
  const c = (cat: number) => encodeCookie(0, cat);
  const responder = opts.ndResponder !== false;
  return [
    { table: Table.classify, priority: Priority.ipv6RouterDrop, match: `icmp6,icmp_type=${Icmp6.routerAdvert}`, actions: 'drop', cookie: c(Category.raDrop) },
    { table: Table.classify, priority: Priority.ipv6RouterDrop, match: `icmp6,icmp_type=${Icmp6.redirect}`, actions: 'drop', cookie: c(Category.redirectDrop) },
    { table: Table.classify, priority: Priority.ipv6RouterDrop, match: `udp6,tp_src=${DHCP6_SERVER_PORT}`, actions: 'drop', cookie: c(Category.dhcp6ServerDrop) },
    { table: Table.ndGuard, priority: Priority.ndSpoofDrop, match: `icmp6,icmp_type=${Icmp6.neighborSolicit}`, actions: 'drop', cookie: c(Category.ndSpoofDrop) },
    { table: Table.ndGuard, priority: Priority.ndSpoofDrop, match: `icmp6,icmp_type=${Icmp6.neighborAdvert}`, actions: 'drop', cookie: c(Category.ndSpoofDrop) },
    { table: Table.ndGuard, priority: Priority.tableMiss, match: '', actions: `goto_table:${Table.l2}`, cookie: c(Category.ndGuardMiss) },
    { table: Table.ndResponder, priority: Priority.tableMiss, match: '', actions: `goto_table:${Table.l2}`, cookie: c(Category.ndResponderMiss) },
    // Reached only from the responder: the NA it built gets its target link-layer option (the new eth_src).
    ...(!responder ? [] : [{
      table: Table.ndReply, priority: Priority.ndResponder, match: `icmp6,icmp_type=${Icmp6.neighborAdvert}`,
      actions: 'move:NXM_OF_ETH_SRC[]->NXM_NX_ND_TLL[],IN_PORT', cookie: c(Category.ndReply),
    }]),
  ];
}

/**
 * The switch's answer to a neighbour solicitation for `ip` (owned by `mac`): the NS turned into a solicited
 * NA in place (OVS rewrites the ICMPv6 type, the flags word and the option type, and fixes the checksum),
 * then table ndReply writes the option's address and sends it back out IN_PORT. OVS refuses a flow that
 * sets nd_tll when its match is an NS, hence the second table; both nd_sll and nd_tll are written, so
 * the option holds `mac` whichever of the two datapath set actions OVS applies first.
 */
function ndResponder(tenantId: number, mac: string, ip: string, cookie: bigint): Flow {
  return {
    table: Table.ndResponder, priority: Priority.ndResponder, cookie,
    match: `icmp6,metadata=${metadata(tenantId)},icmp_type=${Icmp6.neighborSolicit},nd_target=${ip}`,
    actions: [
      'move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]',
      `set_field:${mac}->eth_src`,
      'move:NXM_NX_IPV6_SRC[]->NXM_NX_IPV6_DST[]',
      `set_field:${ip}->ipv6_src`,
      `set_field:${mac}->nd_sll`,
      `set_field:${ND_OPT_TARGET_LL}->nd_options_type`,
      `set_field:${Icmp6.neighborAdvert}->icmpv6_type`,
      `set_field:${NA_SOLICITED_OVERRIDE}->nd_reserved`,
      `goto_table:${Table.ndReply}`,
    ].join(','),
  };
}

/**
 * The IPV6_FLOWS_PER_PORT flows of a dual-stack port. Port security: untagged IPv6 from its own MAC with
 * its own global or link-local source, anything else IPv6 from it dropped as spoofing. ND guard: a
 * solicitation only with its own MAC as source link-layer option (Linux always sends one from a unicast
 * source), an advertisement only for one of its own addresses and with its own MAC as target link-layer
 * option (with the switch's answers, workloads only send unsolicited NAs, which carry it; without them,
 * also none). The switch answers solicitations for both of its addresses.
 */
export function ipv6PortFlows(p: Ipv6FlowPort, opts: Ipv6PipelineOptions = {}): Flow[] {
  const mac = p.mac.toLowerCase();
  const ll = eui64LinkLocal(mac);
  const md = metadata(p.tenantId);
  const c = (cat: number) => encodeCookie(p.tenantId, cat);
  const at = p.ofport;
  const allow = (src: string): Flow => ({
    table: Table.classify, priority: Priority.portAllow, cookie: c(Category.portIp6),
    match: `ipv6,in_port=${at},${UNTAGGED},dl_src=${mac},ipv6_src=${src}`,
    actions: `write_metadata:${md},goto_table:${Table.ndGuard}`,
  });
  const na = (target: string, tll: string): Flow => ({
    table: Table.ndGuard, priority: Priority.ndAllow, cookie: c(Category.portNd),
    match: `icmp6,in_port=${at},icmp_type=${Icmp6.neighborAdvert},nd_target=${target},nd_tll=${tll}`,
    actions: `goto_table:${Table.l2}`,
  });
  // Without the switch's answers, workloads answer solicitations themselves; Linux leaves the target
  // link-layer option out of an answer to a unicast solicitation (a reachability probe).
  const answers = opts.ndResponder === false
    ? [na(p.ip6, NO_MAC), na(ll, NO_MAC)]
    : [ndResponder(p.tenantId, mac, p.ip6, c(Category.ndResponder)), ndResponder(p.tenantId, mac, ll, c(Category.ndResponder))];
  return [
    allow(p.ip6),
    allow(ll),
    { table: Table.classify, priority: Priority.portSpoofDrop6, cookie: c(Category.portSpoofDrop), match: `ipv6,in_port=${at}`, actions: 'drop' },
    na(p.ip6, mac),
    na(ll, mac),
    {
      table: Table.ndGuard, priority: Priority.ndAllow, cookie: c(Category.portNd),
      match: `icmp6,in_port=${at},icmp_type=${Icmp6.neighborSolicit},nd_sll=${mac}`,
      actions: `goto_table:${Table.ndResponder}`,
    },
    ...answers,
  ];
}
