import { run } from '../exec/run.js';
import { loadNative, type NativeAddon } from '../native/native.js';
import { isSafeIfName } from '../net/ifname.js';
import { mapLimit } from './map-limit.js';

/** Time limit of one fallback `sysctl` process, ms. */
export const SYSCTL_TIMEOUT_MS = 30_000;

/**
 * IPv6 settings of a dual-stack port's workload interface, written before the link goes up:
 * IPv6 on (a runtime may default it off), no Router Advertisement taken and no SLAAC address made
 * (addresses and routes are static, from the manifest), no ICMPv6 redirect followed, and no duplicate
 * address detection (addresses are unique by IPAM; the global one is added with nodad, and the EUI-64
 * link-local one is then usable at once, so the port works when it is marked ready). The switch drops
 * RAs and redirects from workloads too (docs/pipeline.md): this is the second wall.
 */
export const WORKLOAD_IPV6_SYSCTLS: readonly (readonly [string, string])[] = [
  ['ipv6/conf/%s/disable_ipv6', '0'],
  ['ipv6/conf/%s/accept_ra', '0'],
  ['ipv6/conf/%s/autoconf', '0'],
  ['ipv6/conf/%s/accept_redirects', '0'],
  ['ipv6/conf/%s/accept_dad', '0'],
  ['ipv6/conf/%s/dad_transmits', '0'],
  ['ipv6/conf/%s/router_solicitations', '0'],
];

/** `/proc/sys/net/...` path, sysctl key and value of every workload IPv6 setting of `ifname`. */
export function workloadIpv6Sysctls(ifname: string): { path: string; key: string; value: string }[] {
  if (!isSafeIfName(ifname) || ifname.includes('.')) throw new TypeError(`unsafe interface name for sysctl: ${JSON.stringify(ifname)}`);
  return WORKLOAD_IPV6_SYSCTLS.map(([tmpl, value]) => {
    const rel = tmpl.replace('%s', ifname);
    return { path: `/proc/sys/net/${rel}`, key: `net.${rel.replaceAll('/', '.')}`, value };
  });
}

/** One workload-side veth end of a dual-stack port, in its (pinned) namespace. */
export interface Ipv6Target {
  readonly fd: number;
  readonly ref: string;
  readonly ifname: string;
}

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
  async apply(targets: readonly Ipv6Target[]): Promise<Map<number, Error>> {
    const failed = new Map<number, Error>();
    const native = this.native;
    if (native) {
      targets.forEach((t, i) => {
        try {
          for (const s of workloadIpv6Sysctls(t.ifname)) native.writeNetnsFile(t.fd, s.path, s.value);
        } catch (err) {
          failed.set(i, err as Error);
        }
      });
      return failed;
    }
    await mapLimit([...targets.entries()], this.concurrency, async ([i, t]) => {
      try {
        const kv = workloadIpv6Sysctls(t.ifname).map((s) => `${s.key}=${s.value}`);
        this.onSpawn('nsenter');
        await run('sysctl', ['-q', '-w', ...kv], { netns: t.ref, timeoutMs: SYSCTL_TIMEOUT_MS });
      } catch (err) {
        failed.set(i, err as Error);
      }
    });
    return failed;
  }
}
