import type { NativeAddon } from '../../native/native.js';
import { hasNftables } from '../host-guard/netlink-seal.js';

/**
 * The gateway table's integrity check in-process: one digest of its
 * nf_tables dumps (native/nft-digest.c) instead of an `nft -s list table`
 * process. Equal digests: nobody edited the table in between (counter
 * values and other state the traffic changes are left out).
 */

type DigestAddon = NativeAddon & Required<Pick<NativeAddon, 'nftTableDigest'>>;

/** Whether the addon can digest a table (builds before it cannot: the full sync lists the gateway table with `nft`). */
export function hasTableDigest(addon: NativeAddon | undefined): addon is DigestAddon {
  return hasNftables(addon) && typeof addon.nftTableDigest === 'function';
}

/** The digest of `inet table` in the namespace of fd (-1: the agent's own); null when there is no such table. Throws a NativeOpError. */
export function gatewayTableDigest(addon: DigestAddon, netnsFd: number, table: string): string | null {
  return addon.nftTableDigest(netnsFd, 'inet', table)?.digest ?? null;
}
