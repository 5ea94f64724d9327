import type { ManifestProblem } from '../manifests/types.js';

/** Where one namespace stands, as /status reports it. */
export type NamespaceState = 'ready' | 'pending' | 'error' | 'unmatched' | 'conflict' | 'waiting';

export const NAMESPACE_STATES: readonly NamespaceState[] = ['ready', 'pending', 'error', 'unmatched', 'conflict', 'waiting'];

export interface TenantStatus {
  readonly name: string;
  readonly id: number;
  /** IPv4 subnet; absent for an IPv6-only tenant. */
  readonly subnet?: string;
  /** IPv6 prefix (dual-stack and IPv6-only tenants). */
  readonly subnet6?: string;
  /** Ports of the tenant (namespaces matched to it). */
  readonly ports: number;
  /** Of those, ports fully programmed (ready marker set). */
  readonly ready: number;
  /** The tenant's gateway port (one more port of the tenant, the host's side), when it has a gateway. */
  readonly gateway?: GatewayStatus;
}

export interface GatewayStatus {
  /** OVS port = host interface name (an OVS internal port). */
  readonly port: string;
  /** Gateway address with prefix. */
  readonly ip: string;
  readonly mac: string;
  readonly ofport?: number;
  /** ready: the port is in OVS with an ofport; pending: not yet. */
  readonly state: 'ready' | 'pending';
  /** true: egress is source-translated to the host's address; false: routed. */
  readonly snat: boolean;
  /** Tenants reachable through the gateways (both manifests allow the pair). */
  readonly peers: readonly string[];
  /** Host services on the gateway address the workloads may reach, "udp/53". */
  readonly hostServices: readonly string[];
}

export interface NamespaceStatus {
  /** Namespace file path (untrusted text: print it escaped). */
  readonly path: string;
  /** File name (untrusted text). */
  readonly name: string;
  readonly tenant?: string;
  readonly state: NamespaceState;
  /** IPv4 address with prefix (absent for a port of an IPv6-only tenant). */
  readonly ip?: string;
  /** Dual-stack and IPv6-only tenants: the IPv6 address with prefix. */
  readonly ip6?: string;
  readonly mac?: string;
  /** OVS port (= host veth) name. */
  readonly port?: string;
  readonly ofport?: number;
  /** Why it is in state error or conflict. */
  readonly error?: string;
  /** The runtime's workload whose namespace this is, when known (names untrusted: print them escaped). */
  readonly workload?: WorkloadStatus;
  /** Why it waits (state waiting), or why a port in place is kept as it is (its runtime's metadata is unknown). */
  readonly note?: string;
}

export interface WorkloadStatus {
  /** "docker" (later "cri"). */
  readonly runtime: string;
  /** Container name (Docker, without "/"). */
  readonly name: string;
  /** Container id. */
  readonly id: string;
  /** running, starting or stopped. */
  readonly state: string;
  /** The runtime networks it itself: the tenant interface is a secondary one, without a default route. */
  readonly secondary: boolean;
}

/** One container runtime the agent reads workload metadata from. */
export interface RuntimeStatus {
  readonly runtime: string;
  /** Its API answers now. */
  readonly connected: boolean;
  /** A full listing was read (metadata known; stale while disconnected). */
  readonly synced: boolean;
  /** Workloads it lists. */
  readonly workloads: number;
  /** ISO 8601 time `connected` last changed. */
  readonly since: string;
  /** Why it is not connected. */
  readonly error?: string;
}

export interface ErrorStatus {
  /** Namespace path the error concerns. */
  readonly namespace: string;
  readonly reason: string;
  /** ISO 8601 time the error was first seen (kept while it persists). */
  readonly since: string;
}

/** The JSON body of GET /status: what the agent knows and does, for people and scripts. */
export interface StatusReport {
  readonly version: string;
  readonly bridge: string;
  /** Initial sync done (same as /readyz). */
  readonly ready: boolean;
  readonly ovsdbConnected: boolean;
  readonly tenants: readonly TenantStatus[];
  readonly namespaces: readonly NamespaceStatus[];
  /** Container runtimes read for workload metadata (absent or empty: namespace-only mode). */
  readonly runtimes?: readonly RuntimeStatus[];
  /** Manifest problems in force (rejected files, conflicts). */
  readonly problems: readonly ManifestProblem[];
  /** Namespaces currently failing, unreadable namespace directories, and refused namespace files (symlinks, the host's namespace, aliases), with the reason. */
  readonly errors: readonly ErrorStatus[];
  /** Backend ovn only. */
  readonly ovn?: OvnStatus;
}

/** A structural check of a parsed /status body, so `nsvswitch status` can tell an agent from anything else on the port. */
export function isStatusReport(v: unknown): v is StatusReport {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.version === 'string' &&
    typeof r.bridge === 'string' &&
    typeof r.ready === 'boolean' &&
    typeof r.ovsdbConnected === 'boolean' &&
    Array.isArray(r.tenants) &&
    Array.isArray(r.namespaces) &&
    Array.isArray(r.problems) &&
    Array.isArray(r.errors)
  );
}

/** Backend ovn: the OVN databases, this host's chassis, and each local workload's logical port. */
export interface OvnStatus {
  /** This host's chassis name (system-id). */
  readonly chassis: string;
  readonly nb: { readonly connected: boolean; readonly remote?: string };
  /** The southbound database as ovn-controller's chassis sees it (read only). */
  readonly sb: { readonly connected: boolean; readonly remote?: string; readonly chassisRegistered: boolean; readonly encaps: readonly string[] };
  readonly ports: readonly OvnPortStatus[];
}

export interface OvnPortStatus {
  /** Namespace path (untrusted text). */
  readonly namespace: string;
  readonly tenant: string;
  /** Logical switch port (= the OVS interface's external_ids:iface-id). */
  readonly lsp: string;
  /** ovn-controller set ovn-installed on the interface (the namespace's ready marker follows). */
  readonly installed: boolean;
  /** The southbound Port_Binding is bound to this chassis (absent: southbound not read). */
  readonly bound?: boolean;
  /** Port_Binding.up (absent: southbound not read). */
  readonly up?: boolean;
}
