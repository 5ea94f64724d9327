// IPv6 addresses as 128-bit BigInts: the one parser and formatter (RFC 5952 text) under subnets, overlaps,
// allocation, plumbing and flows. Linear in the text, bounded (at most 45 characters are ever read).

/** Longest IPv6 text accepted: eight groups of four hex digits and seven colons, or six groups and a dotted quad. */
export const IPV6_TEXT_MAX = 45;

const ALL_ONES = (1n << 128n) - 1n;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/** A parsed IPv6 prefix: address as given (host bits possibly set) and prefix length 0..128. */
export interface Cidr6 {
  readonly address: bigint;
  readonly prefixLen: number;
}

function groupsOf(part: string, allowQuad: boolean): number[] | undefined {
  if (part === '') return [];
  const out: number[] = [];
  const items = part.split(':');
  for (let i = 0; i < items.length; i++) {
    const g = items[i]!;
    if (HEX_GROUP.test(g)) out.push(Number.parseInt(g, 16));
    else if (allowQuad && i === items.length - 1 && g.includes('.')) {
      const q = g.split('.');
      if (q.length !== 4 || q.some((o) => !OCTET.test(o) || Number(o) > 255)) return undefined;
      out.push(Number(q[0]) * 256 + Number(q[1]), Number(q[2]) * 256 + Number(q[3]));
    } else return undefined;
  }
  return out;
}

/**
 * Parses IPv6 text (hex groups, at most one "::", an optional dotted-quad tail; no zone id, no brackets)
 * into a 128-bit integer; undefined if invalid.
 */
export function parseIpv6(text: string): bigint | undefined {
  if (text.length < 2 || text.length > IPV6_TEXT_MAX) return undefined;
  const dbl = text.indexOf('::');
  let groups: number[];
  if (dbl < 0) {
    const g = groupsOf(text, true);
    if (!g || g.length !== 8) return undefined;
    groups = g;
  } else {
    if (text.indexOf('::', dbl + 1) >= 0) return undefined;
    const head = text.slice(0, dbl);
    const tail = text.slice(dbl + 2);
    const h = groupsOf(head, false);
    const t = groupsOf(tail, true);
    // "::" stands for at least one zero group.
    if (!h || !t || h.length + t.length > 7) return undefined;
    groups = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  }
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(g);
  return n;
}

/** The address's eight 16-bit groups, most significant first. */
export function ipv6Groups(n: bigint): number[] {
  const out: number[] = [];
  for (let i = 7; i >= 0; i--) out.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  return out;
}

/**
 * RFC 5952 text: lowercase, no leading zeros, the longest run of two or more zero groups (the first of
 * equal runs) as "::", a lone zero group as "0". Always hexadecimal (no dotted-quad tail).
 */
export function formatIpv6(n: bigint): string {
  return formatGroups(ipv6Groups(n));
}

/** RFC 5952 text of eight 16-bit groups (formatIpv6 without the BigInt, for the per-port hot path). */
function formatGroups(g: readonly number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: readonly number[]): string => a.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** The canonical (RFC 5952) text of an IPv6 address, or undefined if `text` is not one. */
export function canonicalIpv6(text: string): string | undefined {
  const n = parseIpv6(text);
  return n === undefined ? undefined : formatIpv6(n);
}

export function isIpv6(text: string): boolean {
  return parseIpv6(text) !== undefined;
}

/** Parses "ADDR/N" (N 0..128, no leading zeros); undefined if malformed. Host bits are not checked here. */
export function parseCidr6(text: string): Cidr6 | undefined {
  const slash = text.indexOf('/');
  if (slash < 0 || slash > IPV6_TEXT_MAX) return undefined;
  const address = parseIpv6(text.slice(0, slash));
  const len = text.slice(slash + 1);
  if (address === undefined || !/^(0|[1-9][0-9]{0,2})$/.test(len)) return undefined;
  const prefixLen = Number(len);
  if (prefixLen > 128) return undefined;
  return { address, prefixLen };
}

/** Netmask of a prefix length. */
export function mask6Of(prefixLen: number): bigint {
  return prefixLen === 0 ? 0n : ALL_ONES ^ ((1n << BigInt(128 - prefixLen)) - 1n);
}

/** Network address of a prefix (host bits cleared). */
export function network6Of(c: Cidr6): bigint {
  return c.address & mask6Of(c.prefixLen);
}

/** Inclusive [first, last] range a prefix covers. */
export function range6Of(c: Cidr6): readonly [bigint, bigint] {
  const first = network6Of(c);
  return [first, first | (ALL_ONES ^ mask6Of(c.prefixLen))];
}

export function cidrs6Overlap(a: Cidr6, b: Cidr6): boolean {
  const [a0, a1] = range6Of(a);
  const [b0, b1] = range6Of(b);
  return a0 <= b1 && b0 <= a1;
}

/** True if `ip` lies inside `cidr` (host bits of the prefix ignored); false if either is malformed. */
export function ipv6InSubnet(ip: string, cidr: string): boolean {
  const a = parseIpv6(ip);
  const c = parseCidr6(cidr);
  if (a === undefined || !c) return false;
  return (a & mask6Of(c.prefixLen)) === network6Of(c);
}

/** Link-local unicast, fe80::/10. */
export const LINK_LOCAL_6: Cidr6 = { address: 0xfe80n << 112n, prefixLen: 10 };
/** Multicast, ff00::/8. */
export const MULTICAST_6: Cidr6 = { address: 0xffn << 120n, prefixLen: 8 };
/** The first /64, ::/64: the unspecified and loopback addresses, IPv4-mapped and -compatible ones. */
export const RESERVED_ZERO_6: Cidr6 = { address: 0n, prefixLen: 64 };

/**
 * The modified EUI-64 link-local address of a MAC (RFC 4291 appendix A): what the kernel gives an
 * interface with addr_gen_mode eui64. `mac` is aa:bb:cc:dd:ee:ff.
 */
export function eui64LinkLocal(mac: string): string {
  const b = mac.split(':').map((x) => Number.parseInt(x, 16));
  if (b.length !== 6 || b.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new TypeError(`not a MAC address: ${JSON.stringify(mac)}`);
  return formatGroups([0xfe80, 0, 0, 0, ((b[0]! ^ 0x02) << 8) | b[1]!, (b[2]! << 8) | 0xff, 0xfe00 | b[3]!, (b[4]! << 8) | b[5]!]);
}

/** The solicited-node multicast address of an address (ff02::1:ffXX:XXXX): where its Neighbor Solicitations go. */
export function solicitedNode(ip: string): string {
  const n = parseIpv6(ip);
  if (n === undefined) throw new TypeError(`not an IPv6 address: ${JSON.stringify(ip)}`);
  return formatIpv6((0xff02n << 112n) | (0x1ffn << 24n) | (n & 0xffffffn));
}

/** The Ethernet multicast address an IPv6 multicast address maps to (33:33 + its low 32 bits, RFC 2464). */
export function multicastMac6(ip: string): string {
  const n = parseIpv6(ip);
  if (n === undefined) throw new TypeError(`not an IPv6 address: ${JSON.stringify(ip)}`);
  const low = Number(n & 0xffffffffn);
  return ['33', '33', ...[24, 16, 8, 0].map((s) => ((low >>> s) & 255).toString(16).padStart(2, '0'))].join(':');
}
