// IPv4 addresses as unsigned 32-bit integers: the arithmetic under subnets, overlaps and allocation.

/** Parses a strict dotted quad (no leading zeros, which some tools read as octal); undefined if invalid. */
export function parseIpv4(text: string): number | undefined {
  // Four parts, each 0 or [1-9][0-9]{0,2} up to 255, joined by single dots; scanned once (every pass parses many).
  const len = text.length;
  let n = 0;
  let parts = 0;
  let i = 0;
  for (;;) {
    const start = i;
    let v = 0;
    while (i < len) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || (digits > 1 && text.charCodeAt(start) === 48) || v > 255) return undefined;
    n = n * 256 + v;
    parts++;
    if (i === len) return parts === 4 ? n : undefined;
    if (parts === 4 || text.charCodeAt(i) !== 46) return undefined;
    i++;
  }
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** A parsed CIDR: base address as given (host bits possibly set) and prefix length. */
export interface Cidr {
  readonly address: number;
  readonly prefixLen: number;
}

/** Parses "a.b.c.d/n" (n 0..32); undefined if malformed. Host bits are not checked here. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseIpv4(text.slice(0, slash));
  const len = text.slice(slash + 1);
  if (address === undefined || !/^(0|[1-9][0-9]?)$/.test(len)) return undefined;
  const prefixLen = Number(len);
  if (prefixLen > 32) return undefined;
  return { address, prefixLen };
}

/** Netmask of a prefix length as an unsigned integer. */
export function maskOf(prefixLen: number): number {
  return prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
}

/** Network address of a CIDR (host bits cleared). */
export function networkOf(c: Cidr): number {
  return (c.address & maskOf(c.prefixLen)) >>> 0;
}

/** Inclusive [first, last] integer range covered by a CIDR. */
export function rangeOf(c: Cidr): readonly [number, number] {
  const first = networkOf(c);
  return [first, first + 2 ** (32 - c.prefixLen) - 1];
}

/** Two CIDRs overlap iff one contains the other's network address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const [a0, a1] = rangeOf(a);
  const [b0, b1] = rangeOf(b);
  return a0 <= b1 && b0 <= a1;
}

/** Whether `text` is a strict dotted quad (the only IPv4 form nsvswitch reads or writes). */
export function isIpv4(text: string): boolean {
  return parseIpv4(text) !== undefined;
}

/** True if `ip` lies inside `cidr` (host bits of the CIDR ignored); false if either is malformed. */
export function ipInSubnet(ip: string, cidr: string): boolean {
  const a = parseIpv4(ip);
  const range = subnetRange(cidr);
  if (a === undefined || !range) return false;
  return a >= range[0] && a <= range[1];
}

// A pass asks about many addresses in the same few subnets: the last subnet's range is kept.
let lastSubnet: { readonly text: string; readonly range: readonly [number, number] | undefined } | undefined;
function subnetRange(cidr: string): readonly [number, number] | undefined {
  if (lastSubnet?.text !== cidr) {
    const c = parseCidr(cidr);
    lastSubnet = { text: cidr, range: c ? rangeOf(c) : undefined };
  }
  return lastSubnet.range;
}
