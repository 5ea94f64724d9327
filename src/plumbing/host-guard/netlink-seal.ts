import type { NativeAddon, NativeNftFailure } from '../../native/native.js';
import { isSafeIfName } from '../../net/index.js';
import { HostGuardError } from '../errors/host-guard-error.js';
import { INGRESS_PRIORITY, type ListedGuardTable } from './nft-text.js';

/**
 * The host seal in-process: the chains nft-text.ts's guardScript writes, as
 * one nf_tables netlink transaction from the native addon (native/nft.c)
 * instead of one `nft -f -` process. The same chains, so `nft list` prints
 * the same table either way. The full sync's listing too: the table read
 * from nf_tables as parseGuardTable reads nft's text.
 */

/** Names per transaction (the addon takes at most 1024; a pass plugs at most 256). */
export const NFT_NAMES_PER_BATCH = 512;
/** Transactions per call before the names still refused are given up: each retry drops at least one name. */
const MAX_ROUNDS = 4;

/** Whether the addon was built with nf_tables (an older build has only rtnetlink). */
export function hasNftables(addon: NativeAddon | undefined): addon is NativeAddon {
  return typeof addon?.nftNetdevChains === 'function';
}

type GuardListingAddon = NativeAddon & Required<Pick<NativeAddon, 'nftGuardTable'>>;

/** Whether the addon can list the seal table (builds before it cannot: the full sync lists with `nft`). */
export function hasGuardListing(addon: NativeAddon | undefined): addon is GuardListingAddon {
  return hasNftables(addon) && typeof addon.nftGuardTable === 'function';
}

/** The seal table as parseGuardTable would read nft's listing of it. Throws a NativeOpError when it cannot be listed. */
export function listSealChains(addon: GuardListingAddon, netnsFd: number, table: string): ListedGuardTable {
  const listed = addon.nftGuardTable(netnsFd, table, INGRESS_PRIORITY);
  return { sealed: new Set(listed.sealed), other: new Set(listed.other), tableChanged: listed.tableChanged };
}

function checkNames(table: string, names: readonly string[]): void {
  const bad = names.find((n) => !isSafeIfName(n));
  if (bad !== undefined) throw new HostGuardError(table, [bad], 'nf_tables', `not a valid interface name: ${JSON.stringify(bad)}`);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function guardError(table: string, names: readonly string[], f: NativeNftFailure): HostGuardError {
  return new HostGuardError(table, names, `nf_tables ${f.op}`, `${f.reason} (${f.code})`, { cause: f });
}

/**
 * Adds a sealing chain per name (and the table when missing). A refused
 * message aborts its whole transaction, so the names the kernel named are
 * taken out and the rest sent again; a refusal of the table or of the batch
 * as a whole fails every name. Returns the failures by interface; throws
 * (a NativeOpError) only when the transaction could not be run at all.
 */
export function addSealChains(addon: NativeAddon, netnsFd: number, table: string, names: readonly string[]): Map<string, Error> {
  checkNames(table, names);
  const failed = new Map<string, Error>();
  for (const chunk of chunks(names, NFT_NAMES_PER_BATCH)) {
    let todo = chunk;
    let last: NativeNftFailure | undefined;
    for (let round = 0; todo.length > 0 && round < MAX_ROUNDS; round++) {
      const refused = addon.nftNetdevChains(netnsFd, table, todo, [], INGRESS_PRIORITY);
      if (refused.length === 0) {
        todo = [];
        break;
      }
      const whole = refused.find((f) => f.ifname === null || !todo.includes(f.ifname));
      if (whole) {
        for (const n of todo) failed.set(n, guardError(table, [n], whole));
        todo = [];
        break;
      }
      for (const f of refused) if (!failed.has(f.ifname!)) failed.set(f.ifname!, guardError(table, [f.ifname!], f));
      last = refused[0];
      todo = todo.filter((n) => !failed.has(n));
    }
    for (const n of todo) failed.set(n, guardError(table, [n], last!));
  }
  return failed;
}

/**
 * Flushes and deletes the chain of each name. Chains (or the table) already
 * gone are fine (the kernel says ENOENT for them: taken out, the rest sent
 * again); any other refusal throws a HostGuardError naming the interface.
 */
export function deleteSealChains(addon: NativeAddon, netnsFd: number, table: string, names: readonly string[]): void {
  checkNames(table, names);
  for (const chunk of chunks(names, NFT_NAMES_PER_BATCH)) {
    let todo = chunk;
    for (let round = 0; todo.length > 0; round++) {
      const refused = addon.nftNetdevChains(netnsFd, table, [], todo, INGRESS_PRIORITY);
      if (refused.length === 0) break;
      const hard = refused.find((f) => f.code !== 'ENOENT' || f.ifname === null);
      if (hard || round + 1 >= MAX_ROUNDS) {
        const f = hard ?? refused[0]!;
        throw guardError(table, f.ifname === null ? todo : [f.ifname], f);
      }
      const gone = new Set(refused.map((f) => f.ifname));
      todo = todo.filter((n) => !gone.has(n));
    }
  }
}

/**
 * The full sync's repair, as guardScript's `nft -f -` does it: per name in
 * `remove` its chain flushed and deleted, then per name in `add` a sealing
 * chain; a tampered chain (in both lists) is replaced within one transaction,
 * so its interface is never left open. Any refusal throws a HostGuardError
 * naming the interfaces refused (the script fails whole too); a NativeOpError
 * when a transaction could not run at all. Transactions already committed
 * stay: the next full sync finds what is left.
 */
export function replaceSealChains(addon: NativeAddon, netnsFd: number, table: string, add: readonly string[], remove: readonly string[]): void {
  checkNames(table, [...remove, ...add]);
  let batches: [readonly string[], readonly string[]][] = [[add, remove]];
  if (add.length > NFT_NAMES_PER_BATCH || remove.length > NFT_NAMES_PER_BATCH) {
    const adding = new Set(add);
    const paired = new Set<string>();
    batches = chunks(remove, NFT_NAMES_PER_BATCH).map((r) => {
      const again = r.filter((n) => adding.has(n));
      for (const n of again) paired.add(n);
      return [again, r];
    });
    for (const a of chunks(add.filter((n) => !paired.has(n)), NFT_NAMES_PER_BATCH)) batches.push([a, []]);
  }
  for (const [a, r] of batches) {
    const refused = addon.nftNetdevChains(netnsFd, table, a, r, INGRESS_PRIORITY);
    if (refused.length === 0) continue;
    const named = [...new Set(refused.flatMap((f) => (f.ifname === null ? [] : [f.ifname])))];
    throw guardError(table, named.length > 0 ? named : [...r, ...a], refused[0]!);
  }
}
