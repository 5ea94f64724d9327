import type { NamespaceInfo } from '../netns/types.js';
import type { WorkloadInfo } from '../workloads/types.js';

/** A port nsvswitch owns, as recorded in OVSDB (the database is the record). */
export interface OwnedPort {
  readonly portUuid: string;
  readonly ifaceUuid: string;
  /** Port/interface name = host veth name (derived). */
  readonly name: string;
  /** Namespace key path#inode from external_ids. */
  readonly key: string;
  readonly nsPath: string;
  readonly nsInode: number;
  readonly tenant: string;
  readonly tenantId: number;
  /** IPv4 address with prefix, e.g. 10.10.0.2/24 (absent: an IPv6-only tenant's port, which has cidr6). */
  readonly cidr?: string;
  readonly mac: string;
  readonly ifName: string;
  readonly mtu: number;
  readonly gateway: string | undefined;
  /** Dual-stack tenants: IPv6 address with prefix, e.g. fd00:10::2/64 (absent: IPv4 only). */
  readonly cidr6?: string;
  /** Its IPv6 default gateway, when the tenant has one. */
  readonly gateway6?: string;
  readonly ofport: number | undefined;
  readonly installed: boolean;
  /** ovn: the logical switch port the interface is bound to (external_ids:iface-id). */
  readonly ifaceId?: string | undefined;
  /** ovn: ovn-controller set external_ids:ovn-installed=true on the interface (the port's flows are in). */
  readonly ovnInstalled?: boolean;
}

/** What one namespace should look like. */
export interface DesiredPort {
  readonly key: string;
  readonly ns: NamespaceInfo;
  readonly tenant: string;
  readonly tenantId: number;
  readonly hostIf: string;
  readonly peerTmp: string;
  readonly ifName: string;
  readonly mac: string;
  /** Set when the MAC is a later candidate (1, 2, …): the key's own derived MAC was in use on the bridge. */
  readonly macCandidate?: number;
  /** IPv4 address and its prefix length; both absent for a port of an IPv6-only tenant (then ipv6 is set). */
  readonly ip?: string;
  readonly prefixLen?: number;
  readonly mtu: number;
  readonly gateway: string | undefined;
  /** Dual-stack and IPv6-only tenants: the port's IPv6 address (absent: IPv4 only). */
  readonly ipv6?: PortIpv6;
  /** The runtime's workload (container) whose namespace this is, when known: for logs, status and metrics. */
  readonly workload?: WorkloadInfo;
  /** ovn: the logical switch port to bind the interface to (external_ids:iface-id). */
  readonly ifaceId?: string;
}

/** A port's IPv6 address (RFC 5952 text), prefix length and default gateway. */
export interface PortIpv6 {
  readonly ip: string;
  readonly prefixLen: number;
  readonly gateway?: string;
}

/** Why a known namespace has no desired port. */
export type NamespaceVerdict =
  /** `held`: the port in place is kept as recorded while its workload's metadata is unknown (why, for status). */
  | { readonly kind: 'desired'; readonly port: DesiredPort; readonly held?: string }
  | { readonly kind: 'unmatched' }
  /** Not plugged yet, or no more: its runtime's metadata is unknown, or its container is starting or stopped. */
  | { readonly kind: 'waiting'; readonly reason: string; readonly workload?: WorkloadInfo }
  | { readonly kind: 'conflict'; readonly tenants: readonly string[] }
  | { readonly kind: 'error'; readonly tenant: string; readonly reason: string; readonly message: string };

export interface DesiredState {
  readonly ports: ReadonlyMap<string, DesiredPort>;
  readonly verdicts: ReadonlyMap<string, NamespaceVerdict>;
}

/** The work one reconcile pass does, decided purely from desired vs actual. */
export interface Plan {
  /** Namespaces to plug (no owned port yet). */
  readonly plug: readonly DesiredPort[];
  /** Owned ports to remove (namespace gone, tenant gone or changed, config changed → replug). */
  readonly remove: readonly OwnedPort[];
  /** Owned host links with no port row (a crash between veth and row): delete. */
  readonly orphanLinks: readonly string[];
  /** Ports in place whose ready marker is missing (set after their flows are in). */
  readonly markInstalled: readonly OwnedPort[];
  /** Ports that stay as they are. */
  readonly keep: readonly OwnedPort[];
}
