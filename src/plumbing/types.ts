/** Everything needed to plug one namespace into the bridge (all names derived, never copied). */
export interface PlugSpec {
  /** Namespace key (path#inode), for logs and per-item results. */
  readonly key: string;
  /** Namespace file path (untrusted text; never interpolated into scripts). */
  readonly nsPath: string;
  /** Inode of the namespace incarnation to plug; when set, a namespace re-created at nsPath is refused. */
  readonly inode?: number;
  /** Host-side veth name (≤15 chars, derived from a hash). */
  readonly hostIf: string;
  /** Temporary name of the namespace-side end before rename (≤15 chars, derived). */
  readonly peerTmp: string;
  /** Final interface name inside the namespace (tenant's interface.name). */
  readonly ifName: string;
  readonly mac: string;
  /** IPv4 address and prefix length; both absent for a port of an IPv6-only tenant (then ipv6 is set, and no gateway). */
  readonly ip?: string;
  readonly prefixLen?: number;
  readonly mtu: number;
  readonly gateway?: string;
  /**
   * Dual-stack and IPv6-only tenants: the IPv6 address set statically (nodad), with its default route when a
   * gateway is given; absent = IPv4 only, configured exactly as before.
   */
  readonly ipv6?: { readonly ip: string; readonly prefixLen: number; readonly gateway?: string };
}

export type PlugResult =
  | { readonly key: string; readonly ok: true }
  | { readonly key: string; readonly ok: false; readonly error: Error };

/** A host-side veth that nsvswitch created (found by its derived-name prefix). */
export interface HostLink {
  readonly name: string;
  readonly ifindex: number;
  readonly mtu: number;
  readonly up: boolean;
}

/** Effects on kernel links: in-process rtnetlink (NetlinkPlumbing) or `ip` processes (IpPlumbing), the only place that does either. */
export interface Plumbing {
  /** Plugs many namespaces with as few processes as possible; one failure never fails the others. */
  plug(specs: readonly PlugSpec[]): Promise<PlugResult[]>;
  /** Deletes host-side veths (the namespace end goes with them); missing ones are fine. */
  unplug(hostIfs: readonly string[]): Promise<void>;
  /** Host-side links whose names start with `prefix`. */
  listHostLinks(prefix: string): Promise<Map<string, HostLink>>;
  /** Level-triggered host sealing: exactly these host ends sealed (ingress drop, sysctls); counts of changes. */
  guardHostEnds(hostIfs: readonly string[]): Promise<{ added: number; removed: number }>;
}
