import { isSafeIfName } from '../spec-check.js';

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

export function dropTableScript(table: string): string {
  return `delete table netdev ${checkTable(table)}\n`;
}

interface NftJsonItem {
  readonly chain?: { readonly name?: unknown; readonly hook?: unknown; readonly policy?: unknown };
  readonly rule?: { readonly chain?: unknown };
}

/**
 * Chain names of `nft -j list table netdev T` whose hook is ingress and whose
 * policy is drop and that hold no rule (ours never do): only those count as
 * sealing. A chain someone changed (policy accept, a rule added) is in
 * `other`, to be replaced.
 */
export function parseGuardChains(json: string): { sealed: Set<string>; other: Set<string> } {
  const sealed = new Set<string>();
  const other = new Set<string>();
  const text = json.trim();
  if (text === '') return { sealed, other };
  const doc: unknown = JSON.parse(text);
  const items = (doc as { nftables?: unknown }).nftables;
  if (!Array.isArray(items)) throw new TypeError('nft -j: expected {"nftables": [...]}');
  for (const item of items as NftJsonItem[]) {
    const c = item.chain;
    if (!c || typeof c.name !== 'string') continue;
    if (c.hook === 'ingress' && c.policy === 'drop') sealed.add(c.name);
    else other.add(c.name);
  }
  for (const item of items as NftJsonItem[]) {
    const chain = item.rule?.chain;
    if (typeof chain === 'string' && sealed.delete(chain)) other.add(chain);
  }
  return { sealed, other };
}
