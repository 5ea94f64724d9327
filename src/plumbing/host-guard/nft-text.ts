import { isSafeIfName } from '../../net/index.js';

/**
 * The nftables side of sealing host veth ends, as pure text: one `netdev`
 * table per bridge, one base chain per host end, hooked at ingress with
 * policy drop and no rules. Packet sockets (the userspace datapath's) take
 * their copy before the ingress hook runs, so OVS still forwards every frame;
 * the host's IP stack, which runs after it, never sees one.
 */

/** Ingress priority: before anything else a host might hook on these devices. */
export const INGRESS_PRIORITY = -500;

const TABLE_SAFE = /^[A-Za-z0-9_]+$/;

/** The table nsvswitch owns for a bridge (nft identifiers: letters, digits, underscore). */
export function guardTableName(bridge: string): string {
  const safe = bridge.replace(/[^A-Za-z0-9_]/g, '_');
  return `nsvswitch_${safe}`;
}

function checkTable(table: string): string {
  if (!TABLE_SAFE.test(table)) throw new TypeError(`unsafe nftables table name: ${JSON.stringify(table)}`);
  return table;
}

function checkIf(name: string): string {
  if (!isSafeIfName(name)) throw new TypeError(`unsafe interface name for nftables: ${JSON.stringify(name)}`);
  return name;
}

/**
 * One `nft -f -` script, atomic (all or nothing): deletions first (flushed
 * first: a chain someone added rules to cannot be deleted otherwise), then
 * additions, so a tampered chain in both lists ends up new and empty.
 */
export function guardScript(table: string, add: readonly string[], remove: readonly string[]): string {
  const t = checkTable(table);
  const lines = [`add table netdev ${t}`];
  for (const name of remove) {
    const n = checkIf(name);
    lines.push(`flush chain netdev ${t} ${n}`, `delete chain netdev ${t} ${n}`);
  }
  for (const name of add) {
    const n = checkIf(name);
    lines.push(`add chain netdev ${t} ${n} { type filter hook ingress device "${n}" priority ${INGRESS_PRIORITY}; policy drop; }`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The whole table rebuilt in one atomic script: exactly one sealing chain
 * per interface and nothing else (after someone changed the table itself:
 * made it dormant, added a set, a counter, a flowtable).
 */
export function rebuildScript(table: string, hostIfs: readonly string[]): string {
  const t = checkTable(table);
  const lines = [`add table netdev ${t}`, `delete table netdev ${t}`, `add table netdev ${t}`];
  for (const name of [...hostIfs].sort()) {
    const n = checkIf(name);
    lines.push(`add chain netdev ${t} ${n} { type filter hook ingress device "${n}" priority ${INGRESS_PRIORITY}; policy drop; }`);
  }
  return `${lines.join('\n')}\n`;
}

export function dropTableScript(table: string): string {
  return `delete table netdev ${checkTable(table)}\n`;
}

/** What `nft -s list table netdev T` shows: chains exactly as we add them, chains changed, and anything else. */
export interface ListedGuardTable {
  /** Chains hooked at ingress of the interface they are named after, priority -500, policy drop, no rule. */
  readonly sealed: Set<string>;
  /** Chains that differ in any way (policy, a rule, another device, priority or hook, a regular chain). */
  readonly other: Set<string>;
  /** The table holds more than chains (flags such as dormant, sets, counters, a comment): rebuild it whole. */
  readonly tableChanged: boolean;
}

/**
 * Reads the text listing (`nft -s list table netdev T`; nft 1.0's JSON
 * leaves out a netdev chain's device and garbles table flags). A sealing
 * chain is exactly two lines in the listing, so every in-place edit (policy
 * accept, a rule added, a device added) shows as a difference.
 */
export function parseGuardTable(text: string): ListedGuardTable {
  const sealed = new Set<string>();
  const other = new Set<string>();
  let tableChanged = false;
  let chain: { name: string; lines: string[] } | undefined;
  let depth = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (depth === 0) {
      if (/^table netdev \S+ \{$/.test(line)) depth = 1;
      else tableChanged = true;
      continue;
    }
    if (depth === 1) {
      const c = /^chain (\S+) \{$/.exec(line);
      if (c) {
        chain = { name: c[1]!.replace(/^"(.*)"$/, '$1'), lines: [] };
        depth = 2;
      } else if (line === '}') depth = 0;
      else {
        tableChanged = true;
        if (line.endsWith('{')) depth = 3;
      }
      continue;
    }
    if (depth === 3) {
      if (line === '}') depth = 1;
      continue;
    }
    // depth 2: inside a chain
    if (line === '}') {
      const ch = chain!;
      const want = `type filter hook ingress device "${ch.name}" priority ${INGRESS_PRIORITY}; policy drop;`;
      if (ch.lines.length === 1 && ch.lines[0] === want) sealed.add(ch.name);
      else other.add(ch.name);
      chain = undefined;
      depth = 1;
    } else chain!.lines.push(line);
  }
  return { sealed, other, tableChanged };
}
