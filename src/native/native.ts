import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A failed rtnetlink request (returned, not thrown, by per-item calls): the kernel's errno and the step. */
export interface NativeOpError extends Error {
  /** errno name, e.g. EEXIST, ENODEV. */
  readonly code: string;
  readonly errno: number;
  /** The step that failed, e.g. "create veth", "rename", "default route". */
  readonly op: string;
  /** The kernel's extended-ack message, or strerror(errno). */
  readonly reason: string;
}

/** A file writeNetnsFiles could not open or write: code (errno name), errno, and its index in the list. */
export interface NativeFileError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly index: number;
}

/** A link as the kernel lists it (rtnlListLinks). */
export interface NativeLink {
  readonly name: string;
  readonly ifindex: number;
  readonly mtu: number;
  readonly up: boolean;
}

/** A message of an nf_tables transaction the kernel refused: the interface it concerned (null: the table or the whole batch). */
export interface NativeNftFailure extends NativeOpError {
  readonly ifname: string | null;
}

/** A link as rtnlLinkAddrs reads it: its admin state and IPv4 addresses. */
export interface NativeLinkAddrs {
  readonly name: string;
  readonly ifindex: number;
  /** IFF_UP: the `UP` in `ip`'s flags. */
  readonly up: boolean;
  /** IPv4 addresses as `local/prefix`, in the kernel's order (what `ip -j addr show` lists as addr_info `local`, `prefixlen`). */
  readonly addrs4: string[];
}

/** A named counter of an nftables table (nftCounters). */
export interface NativeNftCounter {
  readonly name: string;
  readonly packets: number;
  readonly bytes: number;
}

/** The seal table as nftGuardTable reads it: the fields of nft-text.ts's ListedGuardTable, as arrays. */
export interface NativeGuardTable {
  readonly sealed: string[];
  readonly other: string[];
  readonly tableChanged: boolean;
}

/** What an nftables table holds, as nftTableDigest sums it up: the digest and, for logs, how much it covered. */
export interface NativeTableDigest {
  /** 16 hex digits; equal for two listings of a table nobody edited in between (counter values and other state left out). */
  readonly digest: string;
  readonly chains: number;
  readonly rules: number;
  readonly sets: number;
  readonly elements: number;
  readonly objects: number;
  readonly flowtables: number;
  /** Listings it took: more than one when the ruleset changed during the first (at most 4, else EAGAIN). */
  readonly listings: number;
}

/** What the native addon (native/nsvswitch.c, native/rtnl.c, native/nft.c, native/nft-digest.c) exports; netnsFd -1 = the agent's own namespace. */
export interface NativeAddon {
  setTxChecksum(netnsFd: number, ifname: string, on: boolean): void;
  getTxChecksum(netnsFd: number, ifname: string): boolean;
  writeNetnsFile(netnsFd: number, path: string, text: string): void;
  /**
   * writeNetnsFile for several files in order, entering the namespace once. Stops at the first file that
   * cannot be opened or written (those before it are written, none after it) and returns its error (as
   * writeNetnsFile throws it, with the file's `index`); null when all are written. At most 64 files.
   * Absent in addons built before it (see writeNetnsFilesOf).
   */
  writeNetnsFiles?(netnsFd: number, paths: readonly string[], texts: readonly string[]): NativeFileError | null;
  /**
   * The texts of /proc/sys/net files as seen from that namespace (newline included), entering it once: one
   * entry per path, in order, its text or its error (as writeNetnsFile throws it, with the file's `index`;
   * EFBIG for a file of 256 bytes or more). A failed file stops none of the others; a namespace that cannot be
   * entered is thrown. At most 64 files. Absent in addons built before it.
   */
  readNetnsFiles?(netnsFd: number, paths: readonly string[]): (string | NativeFileError)[];
  /** A NETLINK_ROUTE socket bound to that namespace; close it with rtnlClose. Throws a NativeOpError. */
  rtnlOpen(netnsFd: number): number;
  rtnlClose(sock: number): void;
  /** A veth `name` with its peer created directly in peerNetnsFd (peer MAC and both MTUs set, both ends down). */
  rtnlCreateVeth(sock: number, name: string, mtu: number, peer: string, peerMac: string, peerNetnsFd: number): NativeOpError | null;
  /** `ip link set NAME addrgenmode none up`. */
  rtnlHostUp(sock: number, name: string): NativeOpError | null;
  rtnlDeleteLink(sock: number, name: string): NativeOpError | null;
  /** Links whose names start with prefix. Throws a NativeOpError. */
  rtnlListLinks(sock: number, prefix: string): NativeLink[];
  /**
   * Of the links named (at most 1024), those that exist, in the order named, with their admin state and IPv4
   * addresses: one lookup per name and one IPv4 address dump. Throws a NativeOpError. Absent in addons built before it.
   */
  rtnlLinkAddrs?(sock: number, names: readonly string[]): NativeLinkAddrs[];
  /** Inside the namespace: rename tmp to ifName, address ip/prefixLen, lo up, link up, default route via gateway (when given). */
  rtnlConfigure(netnsFd: number, tmp: string, ifName: string, ip: string, prefixLen: number, gateway: string | null): NativeOpError | null;
  /**
   * rtnlConfigure for a dual-stack port: also addrgenmode eui64 and the EUI-64 link-local address of the
   * link's MAC (without DAD, so never tentative) before link up, ip6/prefixLen6 without DAD,
   * and the IPv6 default route via gateway6 (when given). `ip` null: an IPv6-only port (no IPv4 address or
   * route; `gateway` null too). Absent in addons built before IPv6.
   */
  rtnlConfigure6?(
    netnsFd: number, tmp: string, ifName: string, ip: string | null, prefixLen: number, gateway: string | null,
    ip6: string, prefixLen6: number, gateway6: string | null,
  ): NativeOpError | null;
  /**
   * One nf_tables transaction in the netdev family: with `add`, table `table` (created when missing) and per name a
   * base chain at ingress of that device, policy drop; per name in `remove` its chain flushed and deleted. The
   * messages the kernel refused, empty when committed (all or nothing). At most 1024 names per list. Throws a NativeOpError.
   */
  nftNetdevChains(netnsFd: number, table: string, add: readonly string[], remove: readonly string[], priority: number): NativeNftFailure[];
  /** The named counters of table `family table` (none when it is missing). Throws a NativeOpError. */
  nftCounters(netnsFd: number, family: 'inet' | 'netdev', table: string): NativeNftCounter[];
  /**
   * Netdev table `table` read as parseGuardTable reads `nft -s list table netdev TABLE`: chains exactly as
   * nftNetdevChains adds them at `priority` with no rule (sealed), every other chain, and whether the table
   * holds more than chains. A missing table lists empty. Throws a NativeOpError. Absent in addons built before it.
   */
  nftGuardTable?(netnsFd: number, table: string, priority: number): NativeGuardTable;
  /**
   * Table `family table` read with nf_tables dumps (table, chains, rules, sets and their elements, objects,
   * flowtables) and hashed, leaving out what changes while nobody edits it: counter values, quota used,
   * timestamps, expiry times, reference counts, handles, the ruleset generation. Keyed per process: compare
   * digests only within one process. null when the table is missing. Throws a NativeOpError. Absent in
   * addons built before it.
   */
  nftTableDigest?(netnsFd: number, family: 'inet' | 'netdev', table: string): NativeTableDigest | null;
  /**
   * Calls `callback` on the JS thread each time this process's mount table changes (a thread polls
   * /proc/self/mountinfo; changes faster than they are taken make one call). Does not keep the event loop
   * alive; close() stops it. Throws a NativeOpError. Absent in addons built before it.
   */
  watchMounts?(callback: () => void): { close(): void };
}

/** Set NSVSWITCH_NATIVE=off to run without the addon (the process fallback); tests use it to cover that path. */
export const NATIVE_ENV = 'NSVSWITCH_NATIVE';

// src/native/ and dist/native/ both sit two levels below the project root.
const ADDON_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'native', 'nsvswitch.node');

let cached: { addon: NativeAddon | undefined; reason: string } | undefined;

/** The addon, or undefined with the reason it is not used (not built, disabled, failed to load). */
export function loadNative(): { addon: NativeAddon | undefined; reason: string } {
  if (cached) return cached;
  if (process.env[NATIVE_ENV] === 'off') {
    cached = { addon: undefined, reason: `${NATIVE_ENV}=off` };
    return cached;
  }
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
    cached = { addon, reason: 'loaded' };
  } catch (err) {
    cached = { addon: undefined, reason: `cannot load ${ADDON_PATH}: ${(err as Error).message.split('\n')[0]}` };
  }
  return cached;
}
