import type { NativeAddon } from '../native/native.js';
import { isSafeIfName } from '../net/index.js';

/** One per-interface sysctl: its path under `/proc/sys/net/` with `%s` for the interface, and its value. */
export type SysctlTemplate = readonly [string, string];

/** One sysctl of one interface: its `/proc/sys/net/...` path, its `sysctl` key and its value. */
export interface InterfaceSysctl {
  readonly path: string;
  readonly key: string;
  readonly value: string;
}

/**
 * A table of per-interface sysctls filled in for `ifname`. Throws TypeError on a name that is not safe in
 * a path or a sysctl key (a dot would change the key).
 */
export function interfaceSysctls(table: readonly SysctlTemplate[], ifname: string): InterfaceSysctl[] {
  if (!isSafeIfName(ifname) || ifname.includes('.')) throw new TypeError(`unsafe interface name for sysctl: ${JSON.stringify(ifname)}`);
  return table.map(([tmpl, value]) => {
    const rel = tmpl.replace('%s', ifname);
    return { path: `/proc/sys/net/${rel}`, key: `net.${rel.replaceAll('/', '.')}`, value };
  });
}

/** Files per writeNetnsFiles call (the addon takes at most 64). */
const FILES_PER_CALL = 64;

/** A sysctl that could not be written, and why (as the addon reports it: `code` is the errno name). */
export interface SysctlFailure {
  readonly sysctl: InterfaceSysctl;
  readonly error: Error;
}

/**
 * Writes `sysctls` in order inside the namespace of `netnsFd` (-1: the agent's own) through the addon:
 * one namespace entry for all of them when it has writeNetnsFiles, else one writeNetnsFile each (an addon
 * built before it). A failure `skip` accepts is passed over (the next file is written); any other stops
 * the writing there and is returned. Synchronous: a few microseconds per file, no thread-pool round trip.
 */
export function writeSysctls(
  native: Pick<NativeAddon, 'writeNetnsFile' | 'writeNetnsFiles'>,
  netnsFd: number,
  sysctls: readonly InterfaceSysctl[],
  skip: (s: InterfaceSysctl, error: Error) => boolean = () => false,
): SysctlFailure | undefined {
  if (typeof native.writeNetnsFiles !== 'function') {
    for (const s of sysctls) {
      try {
        native.writeNetnsFile(netnsFd, s.path, s.value);
      } catch (err) {
        if (!skip(s, err as Error)) return { sysctl: s, error: err as Error };
      }
    }
    return undefined;
  }
  let from = 0;
  while (from < sysctls.length) {
    const part = sysctls.slice(from, from + FILES_PER_CALL);
    const err = native.writeNetnsFiles(netnsFd, part.map((s) => s.path), part.map((s) => s.value));
    if (!err) {
      from += part.length;
      continue;
    }
    const s = part[err.index]!;
    if (!skip(s, err)) return { sysctl: s, error: err };
    from += err.index + 1;
  }
  return undefined;
}
