// The run-time rule: a new version of a file must not put a namespace that exists now into conflict.
// Whether two globs overlap ("blue-*" and "*-web") is not decidable in general, but on the namespaces
// that exist it is: a namespace matched by at most one tenant before the change and by two or more after
// it is a working (or waiting) workload the change would unplug. Pure.
import picomatch from 'picomatch';
import { GLOB_OPTIONS, tenantMatches, type NamespaceRef } from './match-namespace.js';
import type { ManifestProblem } from './types.js';
import type { ParsedTenant } from './parsed-tenant.js';
import { selectorMatches } from './workload-selector.js';

/** Namespaces reported per file; the rest are counted in the last message. */
const MAX_REPORTED = 10;

export interface TenantsInForce {
  /** Tenants of every file in force except the candidate's. */
  readonly others: readonly { readonly file: string; readonly pt: ParsedTenant }[];
  /** The candidate file's version in force, if any. */
  readonly previous: readonly ParsedTenant[];
}

/** What of the tenant matches the namespace: a namespace pattern, or (for a runtime's workload) a spec.workloads entry. */
function patternLine(pt: ParsedTenant, ns: NamespaceRef): { line: number; pattern: string; what: string } {
  const i = pt.tenant.namespaces.findIndex((p) => picomatch(p, GLOB_OPTIONS)(p.includes('/') ? ns.path : ns.name));
  if (i < 0 && ns.workload) {
    const j = (pt.tenant.workloads ?? []).findIndex((sel) => selectorMatches(sel, ns.workload!, pt.tenant.name));
    if (j >= 0) return { line: pt.lines.workloads?.[j] ?? pt.lines.doc, pattern: `spec.workloads[${j}]`, what: `spec.workloads[${j}]` };
  }
  const pattern = pt.tenant.namespaces[Math.max(i, 0)] ?? '';
  return { line: pt.lines.namespaces[Math.max(i, 0)] ?? pt.lines.doc, pattern, what: `namespace pattern "${pattern}"` };
}

/** The namespace as messages name it: with its workload (a container, a pod as namespace/pod) when known. */
function nsLabel(ns: NamespaceRef): string {
  return ns.workload ? `${ns.path} (${ns.workload.runtime} workload ${ns.workload.name})` : ns.path;
}

/**
 * Problems of `candidate` (the new tenants of `file`) with the namespaces that exist: one per namespace
 * it would put into conflict, on the line of the candidate's pattern that matches it.
 */
export function workloadConflicts(file: string, candidate: readonly ParsedTenant[], inForce: TenantsInForce, namespaces: Iterable<NamespaceRef>): ManifestProblem[] {
  const out: ManifestProblem[] = [];
  let more = 0;
  for (const ns of namespaces) {
    const mine = candidate.filter((t) => tenantMatches(t.tenant, ns));
    if (mine.length === 0) continue;
    const others = inForce.others.filter((o) => tenantMatches(o.pt.tenant, ns));
    if (mine.length + others.length < 2) continue;
    const before = others.length + inForce.previous.filter((t) => tenantMatches(t.tenant, ns)).length;
    if (before >= 2) continue; // already in conflict: not this change's doing
    if (out.length >= MAX_REPORTED) {
      more++;
      continue;
    }
    const c = mine[0]!;
    const at = patternLine(c, ns);
    const rival = mine[1] ? { file, pt: mine[1] } : others[0]!;
    const rivalAt = patternLine(rival.pt, ns);
    out.push({
      file,
      line: at.line,
      tenant: c.tenant.name,
      message:
        `${at.what} of tenant "${c.tenant.name}" matches namespace ${nsLabel(ns)}, which ${rivalAt.what.replace(/^namespace /, '')} of tenant "${rival.pt.tenant.name}" ` +
        `(${rival.file}:${rivalAt.line}) also matches: the namespace would be in conflict and unplugged, so this version of the file is not taken`,
    });
  }
  if (more > 0) {
    const last = out[out.length - 1];
    out.push({ file, line: last?.line ?? 0, message: `${more} more namespace${more === 1 ? '' : 's'} would be put in conflict by this file` });
  }
  return out;
}
