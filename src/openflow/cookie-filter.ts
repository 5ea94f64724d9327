/**
 * The flows a client owns, told apart by cookie: a flow is in when
 * `cookie & mask === value`. The client passes its filter in; this layer
 * knows no cookie layout of its own.
 */
export interface CookieFilter {
  readonly value: bigint;
  readonly mask: bigint;
}

export function cookieMatches(filter: CookieFilter, cookie: bigint): boolean {
  return (cookie & filter.mask) === filter.value;
}

/** `cookie=VALUE/MASK`, the dump-flows argument selecting exactly these flows. */
export function cookieFilterArg(filter: CookieFilter): string {
  return `cookie=${hex(filter.value)}/${hex(filter.mask)}`;
}

export function hex(n: bigint): string {
  return `0x${n.toString(16)}`;
}
