import type { NativeAddon, NativeFileError } from '../../native/native.js';
import type { InterfaceSysctl } from '../sysctl-table.js';
import type { LinkState } from './gateway-host.js';

/**
 * The gateway interfaces' side of the full sync in-process: sysctls read
 * (and written) as /proc/sys/net files in the host namespace through the
 * addon, addresses and admin state read over rtnetlink, instead of `sysctl`
 * and `ip -j addr show` processes.
 */

export type InterfaceAddon = NativeAddon & Required<Pick<NativeAddon, 'readNetnsFiles' | 'writeNetnsFiles' | 'rtnlLinkAddrs'>>;

/** Files per readNetnsFiles call, names per rtnlLinkAddrs call (the addon's limits). */
const FILES_PER_CALL = 64;
const NAMES_PER_CALL = 1024;

/** Whether the addon can read and write sysctls and read links with their addresses (builds before it: `sysctl` and `ip` processes). */
export function hasInterfaceReads(addon: NativeAddon | undefined): addon is InterfaceAddon {
  return typeof addon?.readNetnsFiles === 'function' && typeof addon.writeNetnsFiles === 'function' && typeof addon.rtnlLinkAddrs === 'function';
}

/**
 * The current value (trimmed) of each sysctl in the namespace of `netnsFd` (-1: the agent's own), in order,
 * or the error reading its file gave (code: the errno name). Throws when the namespace cannot be entered.
 */
export function readSysctls(addon: InterfaceAddon, netnsFd: number, sysctls: readonly InterfaceSysctl[]): (string | NativeFileError)[] {
  const out: (string | NativeFileError)[] = [];
  for (let from = 0; from < sysctls.length; from += FILES_PER_CALL) {
    const texts = addon.readNetnsFiles(netnsFd, sysctls.slice(from, from + FILES_PER_CALL).map((s) => s.path));
    for (const t of texts) out.push(typeof t === 'string' ? t.trim() : t);
  }
  return out;
}

/**
 * The links of `names` that exist in the namespace of `netnsFd` (-1: the agent's own), with their admin state
 * and IPv4 addresses: exactly what parseAddrs derives from `ip -j addr show` for them. Throws a NativeOpError.
 */
export function readLinks(addon: InterfaceAddon, netnsFd: number, names: readonly string[]): Map<string, LinkState> {
  const out = new Map<string, LinkState>();
  const sock = addon.rtnlOpen(netnsFd);
  try {
    for (let from = 0; from < names.length; from += NAMES_PER_CALL) {
      for (const l of addon.rtnlLinkAddrs(sock, names.slice(from, from + NAMES_PER_CALL))) out.set(l.name, { up: l.up, addrs: l.addrs4 });
    }
  } finally {
    addon.rtnlClose(sock);
  }
  return out;
}
