import { boundedMemo } from './bounded-memo.js';

/**
 * OVS prints a match in its own order, with its own shorthands and number
 * formats; we write ours our way. Both sides are reduced to one canonical
 * string (fields expanded, aliases resolved, values normalised, sorted) so
 * a diff compares meaning, not spelling.
 */

// Protocol shorthands of ovs-fields(7) and the fields they stand for.
const SHORTHANDS: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  eth: [],
  ip: [['dl_type', '0x0800']],
  ipv4: [['dl_type', '0x0800']],
  ipv6: [['dl_type', '0x86dd']],
  arp: [['dl_type', '0x0806']],
  rarp: [['dl_type', '0x8035']],
  icmp: [['dl_type', '0x0800'], ['nw_proto', '1']],
  icmp6: [['dl_type', '0x86dd'], ['nw_proto', '58']],
  tcp: [['dl_type', '0x0800'], ['nw_proto', '6']],
  tcp6: [['dl_type', '0x86dd'], ['nw_proto', '6']],
  udp: [['dl_type', '0x0800'], ['nw_proto', '17']],
  udp6: [['dl_type', '0x86dd'], ['nw_proto', '17']],
  sctp: [['dl_type', '0x0800'], ['nw_proto', '132']],
  sctp6: [['dl_type', '0x86dd'], ['nw_proto', '132']],
  mpls: [['dl_type', '0x8847']],
  mplsm: [['dl_type', '0x8848']],
};

// Field names that mean the same field; canonical name on the right.
const ALIASES: Readonly<Record<string, string>> = {
  eth_src: 'dl_src',
  eth_dst: 'dl_dst',
  eth_type: 'dl_type',
  ip_src: 'nw_src',
  ip_dst: 'nw_dst',
  ip_proto: 'nw_proto',
  ip_dscp: 'nw_tos',
  ipv4_src: 'nw_src',
  ipv4_dst: 'nw_dst',
  tcp_src: 'tp_src',
  tcp_dst: 'tp_dst',
  udp_src: 'tp_src',
  udp_dst: 'tp_dst',
  sctp_src: 'tp_src',
  sctp_dst: 'tp_dst',
  icmpv4_type: 'icmp_type',
  icmpv4_code: 'icmp_code',
  vlan_vid: 'dl_vlan',
};

const ALL_ONES_MAC = 'ff:ff:ff:ff:ff:ff';

/** Normalises one value: numbers to decimal, MACs to lower case, full masks dropped. */
function normalizeValue(value: string): string {
  const v = value.trim().toLowerCase();
  const slash = v.indexOf('/');
  if (slash >= 0) {
    const base = normalizeScalar(v.slice(0, slash));
    const mask = v.slice(slash + 1);
    if (mask === ALL_ONES_MAC || mask === '32' || mask === '255.255.255.255' || mask === '-1') return base;
    return `${base}/${normalizeScalar(mask)}`;
  }
  return normalizeScalar(v);
}

const HEX = /^0x[0-9a-f]+$/;
const PADDED_DECIMAL = /^0[0-9]+$/;

function normalizeScalar(v: string): string {
  if (HEX.test(v)) return v.length <= 15 ? String(parseInt(v, 16)) : BigInt(v).toString(10);
  if (PADDED_DECIMAL.test(v)) return BigInt(v).toString(10);
  return v;
}

/** Splits ovs-ofctl text at top-level commas (not inside parentheses or brackets). */
export function splitTopLevel(text: string): string[] {
  if (!text.includes('(') && !text.includes('[')) return text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * The canonical form of a match: `field=value` pairs, sorted, joined by commas. Matches repeat across
 * syncs (the same ports, dumped again): memoised, bounded.
 */
export const canonicalMatch: (match: string) => string = boundedMemo(2_048, computeCanonicalMatch);

function computeCanonicalMatch(match: string): string {
  const fields = new Map<string, string>();
  for (const token of splitTopLevel(match)) {
    const eq = token.indexOf('=');
    if (eq < 0) {
      const expanded = SHORTHANDS[token.toLowerCase()];
      if (expanded === undefined) {
        fields.set(token.toLowerCase(), '');
        continue;
      }
      for (const [k, v] of expanded) fields.set(k, normalizeValue(v));
      continue;
    }
    const rawName = token.slice(0, eq).trim().toLowerCase();
    const name = ALIASES[rawName] ?? rawName;
    fields.set(name, normalizeValue(token.slice(eq + 1)));
  }
  return [...fields.entries()]
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`))
    .sort()
    .join(',');
}
