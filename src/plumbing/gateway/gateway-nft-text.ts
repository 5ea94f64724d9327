import { createHash } from 'node:crypto';
import { isIpv4, isSafeIfName } from '../spec-check.js';

/**
 * The host side of tenant gateways as nftables text, pure: one `inet` table
 * per bridge, `nsvswitch_gw_<bridge>`, owned by nsvswitch and replaced whole
 * (atomically) when it differs from what is wanted. It never touches another
 * table: its drops are final for the packets they match (as every nftables
 * drop is), and its accepts only end its own chains, so a host firewall that
 * drops more still does.
 *
 * Per tenant gateway interface G of subnet S:
 * - input (to the host itself, from G): IPv6 and sources outside S dropped;
 *   replies of connections the host opened, ICMP echo to the gateway
 *   address, and the listed services on the gateway address accepted; all
 *   else dropped (the host's other addresses, the agent's endpoint, ...).
 * - forward, leaving the tenant (from G): IPv6 and sources outside S
 *   dropped; to an allowed peer tenant's gateway and subnet accepted; to any
 *   other tenant gateway or tenant subnet dropped; the rest (the world, by
 *   the host's routes) accepted.
 * - forward, entering the tenant (to G): replies (conntrack established or
 *   related) and new connections from an allowed peer tenant accepted;
 *   everything else dropped: nothing from outside opens a connection in.
 * - postrouting: with snat, traffic from S leaving by any interface but a
 *   tenant gateway is masqueraded to the outgoing interface's address.
 */

/** Hook priorities: filter before the usual host firewalls (0), NAT after the usual srcnat (100). */
export const GATEWAY_FILTER_PRIORITY = -150;
export const GATEWAY_NAT_PRIORITY = 110;

export interface GatewayRules {
  readonly tenantId: number;
  /** Host interface of the gateway port. */
  readonly ifName: string;
  /** Gateway address. */
  readonly ip: string;
  /** Tenant subnet (CIDR). */
  readonly subnet: string;
  readonly snat: boolean;
  /** Allowed peer tenants (both sides agreed): their gateway interface and subnet. */
  readonly peers: readonly { readonly ifName: string; readonly subnet: string }[];
  readonly hostServices: readonly { readonly protocol: 'tcp' | 'udp'; readonly port: number }[];
}

const TABLE_SAFE = /^[A-Za-z0-9_]+$/;
const CIDR = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/;

/** The gateway table nsvswitch owns for a bridge. */
export function gatewayTableName(bridge: string): string {
  return `nsvswitch_gw_${bridge.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

function ifn(name: string): string {
  if (!isSafeIfName(name)) throw new TypeError(`unsafe interface name for nftables: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

function cidr(text: string): string {
  const m = CIDR.exec(text);
  if (!m || !isIpv4(m[1] ?? '') || Number(m[2]) > 32) throw new TypeError(`not an IPv4 CIDR for nftables: ${JSON.stringify(text)}`);
  return text;
}

function ip(text: string): string {
  if (!isIpv4(text)) throw new TypeError(`not an IPv4 address for nftables: ${JSON.stringify(text)}`);
  return text;
}

function set(items: readonly string[]): string {
  return items.length === 1 ? items[0]! : `{ ${items.join(', ')} }`;
}

/** A chain: its name, base-chain header (if any) and rules. */
interface Chain {
  readonly name: string;
  readonly header?: string;
  readonly rules: readonly string[];
}

function chains(gws: readonly GatewayRules[]): Chain[] {
  const sorted = [...gws].sort((a, b) => a.tenantId - b.tenantId);
  const allIfs = sorted.map((g) => ifn(g.ifName));
  const input: string[] = [];
  const forward: string[] = [];
  const post: string[] = [];
  const perTenant: Chain[] = [];
  for (const g of sorted) {
    if (!Number.isInteger(g.tenantId) || g.tenantId < 1) throw new TypeError(`bad tenant id ${g.tenantId}`);
    const t = `t${g.tenantId}`;
    const me = ifn(g.ifName);
    const s = cidr(g.subnet);
    const gw = ip(g.ip);
    input.push(`iifname ${me} jump ${t}_host`);
    forward.push(`iifname ${me} jump ${t}_out`, `oifname ${me} jump ${t}_in`);
    if (g.snat) post.push(`ip saddr ${s} ip daddr != ${s} oifname != ${set(allIfs)} masquerade`);

    const host = ['meta nfproto ipv6 drop', `ip saddr != ${s} drop`, 'ct state established,related accept', `ip daddr ${gw} icmp type echo-request accept`];
    for (const proto of ['udp', 'tcp'] as const) {
      const ports = [...new Set(g.hostServices.filter((x) => x.protocol === proto).map((x) => x.port))].sort((a, b) => a - b);
      for (const p of ports) if (!Number.isInteger(p) || p < 1 || p > 65535) throw new TypeError(`bad port ${p}`);
      if (ports.length > 0) host.push(`ip daddr ${gw} ${proto} dport ${set(ports.map(String))} accept`);
    }
    host.push('drop');

    const peers = [...g.peers].sort((a, b) => (a.ifName < b.ifName ? -1 : 1));
    const others = sorted.filter((o) => o !== g);
    const out = ['meta nfproto ipv6 drop', `ip saddr != ${s} drop`];
    for (const p of peers) out.push(`oifname ${ifn(p.ifName)} ip daddr ${cidr(p.subnet)} accept`);
    if (others.length > 0) {
      out.push(`oifname ${set(others.map((o) => ifn(o.ifName)))} drop`);
      out.push(`ip daddr ${set(others.map((o) => cidr(o.subnet)))} drop`);
    }
    out.push('accept');

    const back = ['ct state established,related accept'];
    for (const p of peers) back.push(`iifname ${ifn(p.ifName)} ip saddr ${cidr(p.subnet)} accept`);
    back.push('drop');

    perTenant.push({ name: `${t}_host`, rules: host }, { name: `${t}_out`, rules: out }, { name: `${t}_in`, rules: back });
  }
  return [
    { name: 'input', header: `type filter hook input priority ${GATEWAY_FILTER_PRIORITY}; policy accept;`, rules: input },
    { name: 'forward', header: `type filter hook forward priority ${GATEWAY_FILTER_PRIORITY}; policy accept;`, rules: forward },
    { name: 'postrouting', header: `type nat hook postrouting priority ${GATEWAY_NAT_PRIORITY}; policy accept;`, rules: post },
    ...perTenant,
  ];
}

/** What the table should hold, with a fingerprint to recognise it by (its comment) and its size. */
export interface GatewayRuleset {
  readonly table: string;
  /** sha256 (16 hex) of the table body: written as the table's comment. */
  readonly fingerprint: string;
  readonly chains: number;
  readonly rules: number;
  /** The table block (no add/delete lines). */
  readonly body: string;
}

export function gatewayRuleset(table: string, gws: readonly GatewayRules[]): GatewayRuleset {
  if (!TABLE_SAFE.test(table)) throw new TypeError(`unsafe nftables table name: ${JSON.stringify(table)}`);
  const cs = chains(gws);
  const inner = cs.map((c) => [`  chain ${c.name} {`, ...(c.header ? [`    ${c.header}`] : []), ...c.rules.map((r) => `    ${r}`), '  }'].join('\n')).join('\n');
  const fingerprint = createHash('sha256').update(inner).digest('hex').slice(0, 16);
  const body = `table inet ${table} {\n  comment "nsvswitch ${fingerprint}"\n${inner}\n}\n`;
  return { table, fingerprint, chains: cs.length, rules: cs.reduce((n, c) => n + c.rules.length, 0), body };
}

/** One atomic `nft -f -` script: the table replaced whole (created first so the delete never fails). */
export function replaceScript(r: GatewayRuleset): string {
  return `add table inet ${r.table}\ndelete table inet ${r.table}\n${r.body}`;
}

export function deleteScript(table: string): string {
  if (!TABLE_SAFE.test(table)) throw new TypeError(`unsafe nftables table name: ${JSON.stringify(table)}`);
  return `delete table inet ${table}\n`;
}

/**
 * What `nft list table inet T` (text: nft 1.0's JSON leaves out table
 * comments) shows: the comment's fingerprint, and how many chains and rules
 * the table holds, to tell our table as written from one someone changed.
 */
export function parseGatewayTable(text: string): { fingerprint: string | undefined; chains: number; rules: number } {
  let fingerprint: string | undefined;
  let chainCount = 0;
  let ruleCount = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const c = /^comment "nsvswitch ([0-9a-f]{16})"$/.exec(line);
    if (c) fingerprint = c[1];
    else if (/^chain \S+ \{$/.test(line)) chainCount++;
    else if (line === '' || line === '}' || line.startsWith('table ') || /^type \S+ hook /.test(line) || line.startsWith('comment ')) continue;
    else ruleCount++;
  }
  return { fingerprint, chains: chainCount, rules: ruleCount };
}
