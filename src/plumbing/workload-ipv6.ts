import { run } from '../exec/run.js';
import { loadNative, type NativeAddon } from '../native/native.js';
import { applyPerNamespace, type NamespaceTarget } from './per-namespace.js';
import { interfaceSysctls, writeSysctls, type InterfaceSysctl, type SysctlTemplate } from './sysctl-table.js';

/** Time limit of one fallback `sysctl` process, ms. */
export const SYSCTL_TIMEOUT_MS = 30_000;

/**
 * IPv6 settings of a dual-stack port's workload interface, written before the link goes up:
 * IPv6 on (a runtime may default it off), no Router Advertisement taken and no SLAAC address made
 * (addresses and routes are static, from the manifest), no ICMPv6 redirect followed, and no duplicate
 * address detection (addresses are unique by IPAM). Both the global and the EUI-64 link-local address
 * are added by the plumbing itself with nodad (the link-local one before the link goes up: see
 * namespaceLines and rtnlConfigure6), so neither is ever tentative and the port works when it is marked
 * ready; accept_dad=0 alone would not do that for a kernel-made link-local, which stays tentative until
 * a queued addrconf work item clears the flag. The switch drops
 * RAs and redirects from workloads too (docs/pipeline.md): this is the second wall.
 */
export const WORKLOAD_IPV6_SYSCTLS: readonly SysctlTemplate[] = [
  ['ipv6/conf/%s/disable_ipv6', '0'],
  ['ipv6/conf/%s/accept_ra', '0'],
  ['ipv6/conf/%s/autoconf', '0'],
  ['ipv6/conf/%s/accept_redirects', '0'],
  ['ipv6/conf/%s/accept_dad', '0'],
  ['ipv6/conf/%s/dad_transmits', '0'],
  ['ipv6/conf/%s/router_solicitations', '0'],
];

/** `/proc/sys/net/...` path, sysctl key and value of every workload IPv6 setting of `ifname`. */
export function workloadIpv6Sysctls(ifname: string): InterfaceSysctl[] {
  return interfaceSysctls(WORKLOAD_IPV6_SYSCTLS, ifname);
}

/** One workload-side veth end of a dual-stack port, in its (pinned) namespace. */
export type Ipv6Target = NamespaceTarget;

/**
 * Writes WORKLOAD_IPV6_SYSCTLS inside workload namespaces: in-process through the native addon (setns,
 * write the /proc/sys/net file, setns back), else one `sysctl -w` process per namespace.
 */
export class WorkloadIpv6Settings {
  private readonly native: NativeAddon | undefined;
  private readonly onSpawn: (program: string) => void;
  private readonly concurrency: number;

  constructor(opts: { native?: NativeAddon | null; onSpawn?: (program: string) => void; concurrency?: number } = {}) {
    this.native = opts.native === null ? undefined : (opts.native ?? loadNative().addon);
    this.onSpawn = opts.onSpawn ?? (() => undefined);
    this.concurrency = opts.concurrency ?? 8;
  }

  /** Errors by target index; targets not in the map are set. */
  apply(targets: readonly Ipv6Target[]): Promise<Map<number, Error>> {
    const native = this.native;
    return applyPerNamespace(
      targets,
      this.concurrency,
      // One namespace entry for all of them (writeSysctls); the first failure fails the target, as before.
      native && ((t) => {
        const f = writeSysctls(native, t.fd, workloadIpv6Sysctls(t.ifname));
        if (f) throw f.error;
      }),
      async (t) => {
        const kv = workloadIpv6Sysctls(t.ifname).map((s) => `${s.key}=${s.value}`);
        this.onSpawn('nsenter');
        await run('sysctl', ['-q', '-w', ...kv], { netns: t.ref, timeoutMs: SYSCTL_TIMEOUT_MS });
      },
    );
  }
}
