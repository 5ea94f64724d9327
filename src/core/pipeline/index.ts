import type { Flow } from '../../openflow/index.js';
import { encodeCookie } from '../../openflow/cookie.js';
import { Category, MULTICAST_DST, Priority, Table, UNTAGGED } from './tables.js';

export { Category, Priority, Table, MULTICAST_DST, UNTAGGED, categoryName, type CategoryName } from './tables.js';

/** A workload port as the pipeline needs it (ofport from OVSDB, the rest from our external_ids). */
export interface FlowPort {
  readonly portName: string;
  readonly ofport: number;
  readonly mac: string;
  readonly ip: string;
  readonly tenantId: number;
  readonly tenant: string;
}

/** OpenFlow's last usable port number; 0xff00 and above are reserved ports. */
const MAX_OFPORT = 0xfeff;

/** Flows every port contributes; the pipeline never grows faster than this per port. */
export const FLOWS_PER_PORT = 5;
/** Flows every tenant with at least one port contributes. */
export const FLOWS_PER_TENANT = 1;

/** Ports whose ofport OVS has assigned (new ports read -1 or [] until ovs-vswitchd picks one). */
export function hasUsableOfport(p: FlowPort): boolean {
  return Number.isInteger(p.ofport) && p.ofport >= 1 && p.ofport <= MAX_OFPORT;
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
    { table: Table.arp, priority: Priority.tableMiss, match: '', actions: `goto_table:${Table.l2}`, cookie: c(Category.arpMiss) },
    { table: Table.l2, priority: Priority.tableMiss, match: '', actions: 'drop', cookie: c(Category.l2Miss) },
  ];
}

/**
 * The FLOWS_PER_PORT flows of one port: port security (untagged frames only:
 * own MAC + own IPv4, ARP with own sender MAC and IP; anything else, VLAN-
 * tagged frames and other ethertypes included, dropped), the ARP answer for
 * its address, and unicast delivery to it, all scoped to its tenant.
 */
export function portFlows(p: FlowPort): Flow[] {
  const mac = p.mac.toLowerCase();
  const md = metadata(p.tenantId);
  const c = (cat: number) => encodeCookie(p.tenantId, cat);
  const at = p.ofport;
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
    {
      table: Table.arp, priority: Priority.arpResponder, cookie: c(Category.arpResponder),
      match: `arp,metadata=${md},arp_tpa=${p.ip},arp_op=1`,
      actions: [
        'move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]',
        `set_field:${mac}->eth_src`,
        'set_field:2->arp_op',
        'move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[]',
        'move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[]',
        `set_field:${mac}->arp_sha`,
        `set_field:${p.ip}->arp_spa`,
        'IN_PORT',
      ].join(','),
    },
    { table: Table.l2, priority: Priority.l2Unicast, cookie: c(Category.l2Unicast), match: `metadata=${md},dl_dst=${mac}`, actions: `output:${at}` },
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
 * port + one flood flow per tenant (listing its ports). Pure and
 * deterministic; ports without a usable ofport are left out until they get
 * one. Nothing is O(ports²): a tenant's flows depend only on its own ports.
 */
export function pipelineFlows(ports: readonly FlowPort[]): Flow[] {
  const usable = ports.filter(hasUsableOfport).sort((a, b) => a.ofport - b.ofport);
  const flows = baseFlows();
  const byTenant = new Map<number, number[]>();
  for (const p of usable) {
    flows.push(...portFlows(p));
    const list = byTenant.get(p.tenantId);
    if (list) list.push(p.ofport);
    else byTenant.set(p.tenantId, [p.ofport]);
  }
  for (const [tenantId, ofports] of [...byTenant].sort((a, b) => a[0] - b[0])) flows.push(...tenantFlows(tenantId, ofports));
  return flows;
}
