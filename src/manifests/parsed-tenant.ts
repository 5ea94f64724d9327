import type { ManifestProblem, Tenant } from './types.js';

/** Lines of the fields of one tenant document, so conflicts point at the exact line on both sides. */
export interface TenantLines {
  readonly doc: number;
  readonly name: number;
  readonly id: number;
  /** Absent for an IPv6-only tenant (no spec.subnet). */
  readonly subnet?: number;
  readonly gateway?: number;
  /** One per entry of spec.namespaces. */
  readonly namespaces: readonly number[];
  /** One per entry of spec.workloads (absent: no such field). */
  readonly workloads?: readonly number[];
  readonly staticAddresses: Readonly<Record<string, number>>;
  readonly subnet6?: number;
  readonly gateway6?: number;
  readonly staticAddresses6?: Readonly<Record<string, number>>;
}

/** A tenant as read from one file, with the lines of its fields. */
export interface ParsedTenant {
  readonly tenant: Tenant;
  readonly lines: TenantLines;
}

/** One version of one manifest file after per-file validation. */
export interface ParsedFile {
  readonly file: string;
  /** Tenants that passed the per-document checks. */
  readonly tenants: readonly ParsedTenant[];
  /** Any problem rejects the whole file. */
  readonly problems: readonly ManifestProblem[];
}
