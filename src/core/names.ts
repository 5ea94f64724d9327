import { createHash } from 'node:crypto';
import { boundedMemo } from '../openflow/bounded-memo.js';

/** Kernel interface names are at most 15 bytes (IFNAMSIZ - 1). */
export const IFNAMSIZ_MAX = 15;
/** Prefix of host-side veth ends (and OVS port names) nsvswitch creates. */
export const HOST_IF_PREFIX = 'nsv';
/** Prefix of the namespace-side end before it is renamed inside the namespace. */
export const PEER_TMP_PREFIX = 'nsp';

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** Hex digits of the key's digest in an interface name (both prefixes are 3 characters). */
const NAME_HEX = IFNAMSIZ_MAX - HOST_IF_PREFIX.length;

/**
 * The hex digits both interface names of a namespace key are made of. Every pass derives the names of every
 * namespace again (computeDesired): memoised, bounded, so a pass hashes only keys it has not seen.
 */
const keyHex: (nsKey: string) => string = boundedMemo(2_048, (nsKey) => digest(nsKey).toString('hex').slice(0, NAME_HEX));

/**
 * Interface names are derived from the namespace key (path#inode), never
 * copied from the untrusted namespace name: always 15 safe characters, and a
 * re-created namespace (new inode) gets a new port.
 */
export function hostIfName(nsKey: string): string {
  return HOST_IF_PREFIX + keyHex(nsKey);
}

/** True for names hostIfName() can produce: only such links can be orphans of ours. */
export function isHostIfName(name: string): boolean {
  return name.length === IFNAMSIZ_MAX && name.startsWith(HOST_IF_PREFIX) && /^[0-9a-f]+$/.test(name.slice(HOST_IF_PREFIX.length));
}

export function peerTmpName(nsKey: string): string {
  return PEER_TMP_PREFIX + keyHex(nsKey).slice(0, IFNAMSIZ_MAX - PEER_TMP_PREFIX.length);
}

/**
 * A deterministic, locally administered, unicast MAC for the namespace's
 * interface: candidate `attempt` of the key (0 = the key's own, then
 * `key#1`, `key#2`, …). 40 bits of hash can collide, so the MAC a port gets
 * is chosen among these candidates by assignMacs() (core/macs.ts), unique
 * per bridge.
 */
export function macFor(nsKey: string, attempt = 0): string {
  const d = digest(attempt === 0 ? `mac:${nsKey}` : `mac:${nsKey}#${attempt}`);
  const bytes = [0x02, d[0] ?? 0, d[1] ?? 0, d[2] ?? 0, d[3] ?? 0, d[4] ?? 0];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
