import { createHash } from 'node:crypto';
import { isIpv4, isSafeIfName } from '../../net/index.js';

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
 *
 * Every verdict of a tenant's chains goes through one of its named counters
 * (GATEWAY_COUNTERS): what it sent out, what came in, what was dropped and
 * where. They are read for the metrics with one `nft -j list counters`.
 *
 * The text is written in the form nft prints it back (symbolic priorities,
 * counters first), so the listing of an untouched table hashes to what the
 * comment records (canonicalHash): an in-place edit of any rule, chain,
 * counter or table flag changes the listing and is found.
 */

/** Hook priorities: filter before the usual host firewalls (0), NAT after the usual srcnat (100). */
export const GATEWAY_FILTER_PRIORITY = -150;
export const GATEWAY_NAT_PRIORITY = 110;
/** The same, as nft prints them in the inet family (mangle = -150, srcnat = 100). */
const FILTER_PRIORITY_TEXT = 'mangle';
const NAT_PRIORITY_TEXT = 'srcnat + 10';

/**
 * Named counters per tenant gateway (`t<tenant id>_<name>`): accepted on the
 * way out of the tenant (to the world or an allowed peer) and in (replies,
 * allowed peers), dropped on the way out, in, and to the host itself.
 */
export const GATEWAY_COUNTERS = ['egress', 'ingress', 'drop_egress', 'drop_ingress', 'drop_host'] as const;
export type GatewayCounterName = (typeof GATEWAY_COUNTERS)[number];

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

    const c = (name: GatewayCounterName) => `counter name "${t}_${name}"`;
    const dropHost = `${c('drop_host')} drop`;
    const host = [`meta nfproto ipv6 ${dropHost}`, `ip saddr != ${s} ${dropHost}`, 'ct state established,related accept', `ip daddr ${gw} icmp type echo-request accept`];
    for (const proto of ['udp', 'tcp'] as const) {
      const ports = [...new Set(g.hostServices.filter((x) => x.protocol === proto).map((x) => x.port))].sort((a, b) => a - b);
      for (const p of ports) if (!Number.isInteger(p) || p < 1 || p > 65535) throw new TypeError(`bad port ${p}`);
      if (ports.length > 0) host.push(`ip daddr ${gw} ${proto} dport ${set(ports.map(String))} accept`);
    }
    host.push(dropHost);

    const peers = [...g.peers].sort((a, b) => (a.ifName < b.ifName ? -1 : 1));
    const others = sorted.filter((o) => o !== g);
    const dropOut = `${c('drop_egress')} drop`;
    const acceptOut = `${c('egress')} accept`;
    const out = [`meta nfproto ipv6 ${dropOut}`, `ip saddr != ${s} ${dropOut}`];
    for (const p of peers) out.push(`oifname ${ifn(p.ifName)} ip daddr ${cidr(p.subnet)} ${acceptOut}`);
    if (others.length > 0) {
      out.push(`oifname ${set(others.map((o) => ifn(o.ifName)))} ${dropOut}`);
      out.push(`ip daddr ${set(others.map((o) => cidr(o.subnet)))} ${dropOut}`);
    }
    out.push(acceptOut);

    const acceptIn = `${c('ingress')} accept`;
    const back = [`ct state established,related ${acceptIn}`];
    for (const p of peers) back.push(`iifname ${ifn(p.ifName)} ip saddr ${cidr(p.subnet)} ${acceptIn}`);
    back.push(`${c('drop_ingress')} drop`);

    perTenant.push({ name: `${t}_host`, rules: host }, { name: `${t}_out`, rules: out }, { name: `${t}_in`, rules: back });
  }
  return [
    { name: 'input', header: `type filter hook input priority ${FILTER_PRIORITY_TEXT}; policy accept;`, rules: input },
    { name: 'forward', header: `type filter hook forward priority ${FILTER_PRIORITY_TEXT}; policy accept;`, rules: forward },
    { name: 'postrouting', header: `type nat hook postrouting priority ${NAT_PRIORITY_TEXT}; policy accept;`, rules: post },
    ...perTenant,
  ];
}

/** What the table should hold, with a fingerprint to recognise it by (its comment) and its size. */
export interface GatewayRuleset {
  readonly table: string;
  /** sha256 (16 hex) of what is wanted (the table's content as generated): first word of the table's comment. */
  readonly fingerprint: string;
  /**
   * canonicalHash of the table as nft will list it: second word of the
   * comment. Predicted from the text (written in nft's own form); when an nft
   * version prints it otherwise, the host learns the real one after the first
   * write and records that instead (withCanon).
   */
  readonly canon: string;
  readonly chains: number;
  readonly rules: number;
  /** The table block (no add/delete lines). */
  readonly body: string;
  /** The table block without its comment line. */
  readonly inner: string;
}

/** The table comment: what nsvswitch wanted and how nft lists it. */
const COMMENT = /^comment "nsvswitch ([0-9a-f]{16})(?: ([0-9a-f]{16}))?"$/;

export function gatewayRuleset(table: string, gws: readonly GatewayRules[]): GatewayRuleset {
  if (!TABLE_SAFE.test(table)) throw new TypeError(`unsafe nftables table name: ${JSON.stringify(table)}`);
  const cs = chains(gws);
  const ids = [...new Set(gws.map((g) => g.tenantId))].sort((a, b) => a - b);
  const counters = ids.flatMap((id) => GATEWAY_COUNTERS.map((n) => `  counter t${id}_${n} {\n  }`));
  const chainText = cs.map((c) => [`  chain ${c.name} {`, ...(c.header ? [`    ${c.header}`] : []), ...c.rules.map((r) => `    ${r}`), '  }'].join('\n'));
  const inner = [...counters, ...chainText].join('\n');
  const fingerprint = createHash('sha256').update(inner).digest('hex').slice(0, 16);
  const canon = canonicalHash(`table inet ${table} {\n${inner}\n}\n`);
  const base = { table, fingerprint, canon, chains: cs.length, rules: cs.reduce((n, c) => n + c.rules.length, 0), inner };
  return { ...base, body: tableText(table, inner, fingerprint, canon) };
}

function tableText(table: string, inner: string, fingerprint: string, canon: string): string {
  return `table inet ${table} {\n  comment "nsvswitch ${fingerprint} ${canon}"\n${inner}\n}\n`;
}

/** The same ruleset, recording another canonical hash (the one this host's nft lists it with). */
export function withCanon(r: GatewayRuleset, canon: string): GatewayRuleset {
  if (!/^[0-9a-f]{16}$/.test(canon)) throw new TypeError(`bad canonical hash ${JSON.stringify(canon)}`);
  return { ...r, canon, body: tableText(r.table, r.inner, r.fingerprint, canon) };
}

/**
 * sha256 (16 hex) of a table listing (`nft -s list table`: no counter
 * values) with our comment line left out, lines trimmed, blank lines
 * dropped: the same for the table as written and as nft prints it back.
 */
export function canonicalHash(listing: string): string {
  let commentSeen = false;
  const lines: string[] = [];
  for (const raw of listing.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (!commentSeen && COMMENT.test(line)) {
      commentSeen = true;
      continue;
    }
    lines.push(line);
  }
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}

/** One atomic `nft -f -` script: the table replaced whole (created first so the delete never fails). */
export function replaceScript(r: GatewayRuleset): string {
  return `add table inet ${r.table}\ndelete table inet ${r.table}\n${r.body}`;
}

export function deleteScript(table: string): string {
  if (!TABLE_SAFE.test(table)) throw new TypeError(`unsafe nftables table name: ${JSON.stringify(table)}`);
  return `delete table inet ${table}\n`;
}

/** What `nft -s list table inet T` shows of the table nsvswitch wrote. */
export interface ListedGatewayTable {
  /** From the comment: the ruleset it was written for, and the canonical hash recorded then. */
  readonly fingerprint: string | undefined;
  readonly recordedCanon: string | undefined;
  /** canonicalHash of the listing now: differs from recordedCanon once anyone edited the table. */
  readonly canon: string;
  readonly chains: number;
  readonly rules: number;
}

/**
 * Reads `nft -s list table inet T` (text: nft 1.0's JSON leaves out table
 * comments): the comment's fingerprint and recorded hash, the listing's own
 * hash, and how many chains and rules the table holds (for logs).
 */
export function parseGatewayTable(text: string): ListedGatewayTable {
  let fingerprint: string | undefined;
  let recordedCanon: string | undefined;
  let chainCount = 0;
  let ruleCount = 0;
  let block: 'chain' | 'other' | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const c = fingerprint === undefined ? COMMENT.exec(line) : null;
    if (c) {
      fingerprint = c[1];
      recordedCanon = c[2];
    } else if (/^chain \S+ \{$/.test(line)) {
      chainCount++;
      block = 'chain';
    } else if (/^\S.* \{$/.test(line) && !line.startsWith('table ')) block = 'other';
    else if (line === '}') block = undefined;
    else if (block === 'chain' && line !== '' && !/^type \S+ hook /.test(line) && !line.startsWith('comment ')) ruleCount++;
  }
  return { fingerprint, recordedCanon, canon: canonicalHash(text), chains: chainCount, rules: ruleCount };
}

/** Named counters of `nft -j list counters table inet T`: tenant id → counter → packets and bytes. */
export function parseGatewayCounters(json: string): Map<number, Map<GatewayCounterName, { packets: number; bytes: number }>> {
  const out = new Map<number, Map<GatewayCounterName, { packets: number; bytes: number }>>();
  const text = json.trim();
  if (text === '') return out;
  const items = (JSON.parse(text) as { nftables?: unknown }).nftables;
  if (!Array.isArray(items)) throw new TypeError('nft -j: expected {"nftables": [...]}');
  for (const item of items as { counter?: { name?: unknown; packets?: unknown; bytes?: unknown } }[]) {
    const c = item.counter;
    if (!c || typeof c.name !== 'string') continue;
    const m = /^t(\d+)_([a-z_]+)$/.exec(c.name);
    const name = m?.[2] as GatewayCounterName | undefined;
    if (!m || name === undefined || !GATEWAY_COUNTERS.includes(name)) continue;
    const packets = typeof c.packets === 'number' && Number.isFinite(c.packets) && c.packets >= 0 ? c.packets : 0;
    const bytes = typeof c.bytes === 'number' && Number.isFinite(c.bytes) && c.bytes >= 0 ? c.bytes : 0;
    const id = Number(m[1]);
    const per = out.get(id) ?? new Map<GatewayCounterName, { packets: number; bytes: number }>();
    per.set(name, { packets, bytes });
    out.set(id, per);
  }
  return out;
}
