import type { WorkloadSelector } from './workload-selector.js';

/** Where a manifest value came from, for error messages. */
export interface SourceRef {
  readonly file: string;
  /** 1-based line of the document (or of the offending field when known); 0 = the file as a whole. */
  readonly line: number;
}

export interface TenantInterface {
  /** Interface name inside the namespace (default eth0). */
  readonly name: string;
  /** MTU (default 1500). */
  readonly mtu: number;
  /**
   * Interface name in a workload its runtime networks itself (a Docker container on a bridge network):
   * a secondary interface, never eth*; absent = DEFAULT_SECONDARY_INTERFACE (net1).
   */
  readonly secondaryName?: string;
}

/** A validated tenant, ready for the pure core. */
export interface Tenant {
  readonly name: string;
  /** 1..16777215, unique per host. */
  readonly id: number;
  /** Canonical IPv4 CIDR, e.g. 10.10.0.0/24; absent for an IPv6-only tenant (then subnet6 is set: at least one is). */
  readonly subnet?: string;
  /** Optional default-route gateway inside the subnet. */
  readonly gateway?: string;
  /** Optional IPv6 prefix (beside the IPv4 subnet: dual stack; alone: IPv6-only), RFC 5952 text, /64 to /126, e.g. fd00:10::/64. */
  readonly subnet6?: string;
  /** Optional IPv6 default-route gateway inside subnet6 (RFC 5952 text). */
  readonly gateway6?: string;
  /** Globs on namespace file names, optionally dir-qualified ("/run/netns/blue-*"). */
  readonly namespaces: readonly string[];
  /** Selectors on runtime workloads (containers) by runtime, name globs and labels; absent = none. */
  readonly workloads?: readonly WorkloadSelector[];
  readonly interface: TenantInterface;
  /** Optional fixed addresses: namespace name or workload (container) name → IPv4 inside the subnet. */
  readonly staticAddresses: Readonly<Record<string, string>>;
  /** Fixed IPv6 addresses inside subnet6, by the same names (RFC 5952 text); present when subnet6 is. */
  readonly staticAddresses6?: Readonly<Record<string, string>>;
  /** spec.egress as given (only with a gateway); absent = DEFAULT_EGRESS of parse-egress.ts: snat on, no peer tenant, no host service. */
  readonly egress?: TenantEgress;
  readonly source: SourceRef;
}

/** A host service a tenant's workloads may reach on their gateway address. */
export interface HostService {
  readonly protocol: 'tcp' | 'udp';
  readonly port: number;
}

/** spec.egress: the tenant gateway's policy (docs/manifests.md, docs/architecture.md). */
export interface TenantEgress {
  /** Source-translate traffic leaving the host to the host's address (default true); false = routed as is. */
  readonly snat: boolean;
  /** Tenants this one may exchange traffic with through the gateways; effective only when both list each other. */
  readonly allowTenants: readonly string[];
  /** Services on the gateway address the workloads may reach (everything else on the host is dropped). */
  readonly hostServices: readonly HostService[];
}

/** One problem found in a manifest file, with file, line and plain reason. */
export interface ManifestProblem {
  readonly file: string;
  /** 1-based line of the offending field or document; 0 = the file (or directory) as a whole. */
  readonly line: number;
  readonly message: string;
  /** Which tenant it concerns, when known. */
  readonly tenant?: string;
}

/** What is in force after loading/reloading a manifest directory. */
export interface TenantSet {
  /** Tenants in force, by name (last good versions of rejected files stay). */
  readonly tenants: ReadonlyMap<string, Tenant>;
  /** Current problems (rejected files, conflicts). */
  readonly problems: readonly ManifestProblem[];
  /**
   * True while the manifest directory exists but cannot be read: the set is
   * only what was in force before (empty if nothing was ever read), so it
   * must not be taken as "these are all the tenants".
   */
  readonly unreadable?: boolean;
  /** Every manifest file seen and whether its current content is in force (for status). */
  readonly files?: readonly ManifestFileStatus[];
}

/** One manifest file's standing after the last load/reload. */
export interface ManifestFileStatus {
  readonly file: string;
  /** accepted: current content in force; rejected: current content has problems (see TenantSet.problems). */
  readonly state: 'accepted' | 'rejected';
  /** Tenants in force from this file (for a rejected file: those of its last good version). */
  readonly tenants: readonly string[];
  /** Rejected, but an earlier good version of the file stays in force. */
  readonly lastGoodInForce: boolean;
  /** Number of problems of the current content. */
  readonly problems: number;
}
