import type { ManifestProblem } from '../manifests/types.js';

/** Where one namespace stands, as /status reports it. */
export type NamespaceState = 'ready' | 'pending' | 'error' | 'unmatched' | 'conflict';

export const NAMESPACE_STATES: readonly NamespaceState[] = ['ready', 'pending', 'error', 'unmatched', 'conflict'];

export interface TenantStatus {
  readonly name: string;
  readonly id: number;
  readonly subnet: string;
  /** Ports of the tenant (namespaces matched to it). */
  readonly ports: number;
  /** Of those, ports fully programmed (ready marker set). */
  readonly ready: number;
}

export interface NamespaceStatus {
  /** Namespace file path (untrusted text: print it escaped). */
  readonly path: string;
  /** File name (untrusted text). */
  readonly name: string;
  readonly tenant?: string;
  readonly state: NamespaceState;
  readonly ip?: string;
  readonly mac?: string;
  /** OVS port (= host veth) name. */
  readonly port?: string;
  readonly ofport?: number;
  /** Why it is in state error or conflict. */
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
  /** Manifest problems in force (rejected files, conflicts). */
  readonly problems: readonly ManifestProblem[];
  /** Namespaces currently failing, unreadable namespace directories, and refused namespace files (symlinks, the host's namespace, aliases), with the reason. */
  readonly errors: readonly ErrorStatus[];
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
