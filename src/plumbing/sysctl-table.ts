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
