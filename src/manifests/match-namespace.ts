// Which tenant a namespace belongs to. Globs are compiled once per tenant object (tenants are immutable).
import picomatch from 'picomatch';
import type { Tenant } from './types.js';
import { anySelectorMatches, type WorkloadRef } from './workload-selector.js';

export type NamespaceMatch =
  | { readonly kind: 'matched'; readonly tenant: Tenant }
  | { readonly kind: 'unmatched' }
  | { readonly kind: 'conflict'; readonly tenants: readonly string[] };

export interface NamespaceRef {
  /** File name in its directory, e.g. "blue-1". */
  readonly name: string;
  /** Directory watched, e.g. "/run/netns". */
  readonly dir: string;
  /** Full path, e.g. "/run/netns/blue-1". */
  readonly path: string;
  /** The runtime's workload whose namespace this is, when its metadata is known (spec.workloads select on it). */
  readonly workload?: WorkloadRef;
}

/** Glob options: "*" also matches names starting with "." (namespace names are not hidden files). */
export const GLOB_OPTIONS = Object.freeze({ dot: true });

const compiled = new WeakMap<Tenant, (ns: NamespaceRef) => boolean>();

function matcherOf(tenant: Tenant): (ns: NamespaceRef) => boolean {
  let m = compiled.get(tenant);
  if (!m) {
    const byName = tenant.namespaces.filter((p) => !p.includes('/'));
    const byPath = tenant.namespaces.filter((p) => p.includes('/'));
    const name = byName.length ? picomatch(byName, GLOB_OPTIONS) : () => false;
    const path = byPath.length ? picomatch(byPath, GLOB_OPTIONS) : () => false;
    const workloads = tenant.workloads;
    m = (ns) => name(ns.name) || path(ns.path) || anySelectorMatches(workloads, ns.workload, tenant.name);
    compiled.set(tenant, m);
  }
  return m;
}

/** True if one of the tenant's patterns matches (a pattern with "/" the full path, else the name), or one of its workload selectors. */
export function tenantMatches(tenant: Tenant, ns: NamespaceRef): boolean {
  return matcherOf(tenant)(ns);
}

/**
 * The tenant of a namespace: exactly one tenant's patterns match. If several do, it is a conflict and
 * the namespace stays unattached until the manifests are fixed (never a guess).
 */
export function matchNamespace(tenants: ReadonlyMap<string, Tenant>, ns: NamespaceRef): NamespaceMatch {
  let found: Tenant | undefined;
  let conflict: string[] | undefined;
  for (const t of tenants.values()) {
    if (!matcherOf(t)(ns)) continue;
    if (found === undefined) found = t;
    else (conflict ??= [found.name]).push(t.name);
  }
  if (conflict) return { kind: 'conflict', tenants: conflict.sort() };
  return found ? { kind: 'matched', tenant: found } : { kind: 'unmatched' };
}
