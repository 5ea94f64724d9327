import { basename } from 'node:path';
import { ipInSubnet } from '../../../net/ipv4.js';

/** One of our ports as `nsvswitch trace` sees it in OVSDB (Interface row + our external_ids). */
export interface TracedPort {
  readonly name: string;
  readonly ofport: number;
  readonly netns: string;
  /** Recorded IPv4 address; absent for a port of an IPv6-only tenant (it has ip6). */
  readonly ip?: string;
  readonly mac: string;
  readonly tenant: string;
  readonly tenantId: number;
  /** The tenant's gateway port (the host's side of the tenant; no namespace). */
  readonly gateway?: true;
  /** Prefix length of the recorded address (the tenant subnet's). */
  readonly prefixLen?: number;
  /** The runtime workload's name (a Docker container), when the port is one's. */
  readonly workload?: string;
  /** Dual-stack ports: the recorded global IPv6 address (the link-local one follows from the MAC). */
  readonly ip6?: string;
}

/** Ports whose namespace is `ref`: a path (exact) or a file name (basename of the recorded path). Gateways have none. */
export function findPortsByNamespace(ports: readonly TracedPort[], ref: string): TracedPort[] {
  const workloads = ports.filter((p) => !p.gateway);
  // A pod is "namespace/pod": a relative ref with "/" is a path only if some port records it so.
  if (ref.includes('/')) {
    const byPath = workloads.filter((p) => p.netns === ref);
    return byPath.length > 0 || ref.startsWith('/') ? byPath : workloads.filter((p) => p.workload === ref);
  }
  const byFile = workloads.filter((p) => basename(p.netns) === ref);
  // A container name (Docker names namespace files after sandbox ids, never after the container).
  return byFile.length > 0 ? byFile : workloads.filter((p) => p.workload === ref);
}

/** Whether `ip` lies inside the subnet of `p`'s recorded address. */
export function inSubnetOf(p: TracedPort, ip: string): boolean {
  return p.ip !== undefined && ipInSubnet(ip, `${p.ip}/${p.prefixLen ?? 32}`);
}
