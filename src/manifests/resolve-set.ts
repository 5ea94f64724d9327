// Decides which version of each manifest file is in force. Pure, so the rules (last good version
// stays, the newer file loses a cross-file conflict, a change must not put existing namespaces in
// conflict) are unit-tested without a file system.
import type { ManifestProblem, Tenant, TenantSet, ManifestFileStatus } from './types.js';
import type { ParsedFile, ParsedTenant } from './parsed-tenant.js';
import type { NamespaceRef } from './match-namespace.js';
import { TenantIndex } from './tenant-conflicts.js';
import { workloadConflicts } from './workload-conflicts.js';

/** The current content of one manifest file. */
export interface FileSnapshot {
  readonly parsed: ParsedFile;
  /** Content hash: a file whose hash equals its accepted version's is unchanged. */
  readonly hash: string;
  /** Orders candidates: of two conflicting new versions, the older file wins. */
  readonly mtimeMs: number;
}

/** A file version in force. */
export interface AcceptedVersion {
  readonly hash: string;
  readonly parsed: ParsedFile;
}

export interface Rejection {
  readonly hash: string;
  readonly problems: readonly ManifestProblem[];
}

export interface Resolution {
  readonly accepted: ReadonlyMap<string, AcceptedVersion>;
  /** Files whose current content is not in force, with why. */
  readonly rejected: ReadonlyMap<string, Rejection>;
  readonly set: TenantSet;
}

export interface ResolveOptions {
  /**
   * The namespaces that exist now. A new or changed file that would put one of them into conflict
   * (matched by at most one tenant before, by two or more after) is rejected, its last good version
   * staying in force. Without them (nsvswitch validate, a start before the first namespace scan) only
   * the static rules apply.
   */
  readonly namespaces?: readonly NamespaceRef[];
}

function indexOf(accepted: ReadonlyMap<string, AcceptedVersion>): TenantIndex {
  const index = new TenantIndex();
  // Versions in force were accepted together: they are compatible, no need to check them again.
  for (const [file, v] of accepted) for (const t of v.parsed.tenants) index.add(file, t);
  return index;
}

function othersOf(accepted: ReadonlyMap<string, AcceptedVersion>, file: string): { file: string; pt: ParsedTenant }[] {
  const out: { file: string; pt: ParsedTenant }[] = [];
  for (const [f, v] of accepted) if (f !== file) for (const pt of v.parsed.tenants) out.push({ file: f, pt });
  return out;
}

/**
 * Next versions in force given the previous ones and the files now present. A file with a problem of
 * its own is rejected and its previous version (if any) stays; a file that conflicts with a version in
 * force is rejected (so among new or changed files, the one modified last loses, ties by path), and so
 * is one that would put an existing namespace into conflict (opts.namespaces); a rejected file is
 * retried on every pass, so fixing or deleting the other side lets it in. Cost: linear in the tenants
 * of the candidate files, plus (only when some file changed) one index of the tenants in force.
 */
export function resolveTenantSet(previous: ReadonlyMap<string, AcceptedVersion>, files: readonly FileSnapshot[], opts: ResolveOptions = {}): Resolution {
  const present = new Set(files.map((f) => f.parsed.file));
  const accepted = new Map([...previous].filter(([file]) => present.has(file)));
  const rejected = new Map<string, Rejection>();
  const candidates = files
    .filter((f) => accepted.get(f.parsed.file)?.hash !== f.hash)
    .sort((a, b) => a.mtimeMs - b.mtimeMs || (a.parsed.file < b.parsed.file ? -1 : a.parsed.file > b.parsed.file ? 1 : 0));
  let pending: FileSnapshot[] = [];
  for (const c of candidates) {
    if (c.parsed.problems.length > 0) rejected.set(c.parsed.file, { hash: c.hash, problems: c.parsed.problems });
    else pending.push(c);
  }
  const namespaces = opts.namespaces ?? [];
  const only = pending[0];
  if (accepted.size === 0 && pending.length === 1 && only) {
    // One file into an empty set (a start, validate of one file): its tenants were checked against each
    // other when it was parsed, so there is nothing to index.
    const problems = namespaces.length > 0 ? workloadConflicts(only.parsed.file, only.parsed.tenants, { others: [], previous: [] }, namespaces) : [];
    if (problems.length === 0) accepted.set(only.parsed.file, { hash: only.hash, parsed: only.parsed });
    else rejected.set(only.parsed.file, { hash: only.hash, problems });
    return { accepted, rejected, set: tenantSetOf(accepted, rejected) };
  }
  const index = pending.length > 0 ? indexOf(accepted) : undefined;
  let lastProblems = new Map<string, ManifestProblem[]>();
  for (let progress = true; index && progress && pending.length > 0; ) {
    progress = false;
    const still: FileSnapshot[] = [];
    lastProblems = new Map();
    for (const c of pending) {
      const file = c.parsed.file;
      const old = accepted.get(file);
      index.removeFile(file);
      let problems = index.tryAddFile(file, c.parsed.tenants);
      if (problems.length === 0 && namespaces.length > 0) {
        problems = workloadConflicts(file, c.parsed.tenants, { others: othersOf(accepted, file), previous: old?.parsed.tenants ?? [] }, namespaces);
        if (problems.length > 0) index.removeFile(file);
      }
      if (problems.length === 0) {
        accepted.set(file, { hash: c.hash, parsed: c.parsed });
        progress = true;
      } else {
        if (old) for (const t of old.parsed.tenants) index.add(file, t);
        still.push(c);
        lastProblems.set(file, problems.sort((a, b) => a.line - b.line));
      }
    }
    pending = still;
  }
  for (const c of pending) rejected.set(c.parsed.file, { hash: c.hash, problems: lastProblems.get(c.parsed.file) ?? [] });
  return { accepted, rejected, set: tenantSetOf(accepted, rejected) };
}

function tenantSetOf(accepted: ReadonlyMap<string, AcceptedVersion>, rejected: ReadonlyMap<string, Rejection>): TenantSet {
  const tenants = new Map<string, Tenant>();
  const files: ManifestFileStatus[] = [];
  const names = [...new Set([...accepted.keys(), ...rejected.keys()])].sort();
  for (const file of names) {
    const inForce = accepted.get(file)?.parsed.tenants.map((t) => t.tenant) ?? [];
    for (const t of inForce) tenants.set(t.name, t);
    const r = rejected.get(file);
    files.push({
      file,
      state: r ? 'rejected' : 'accepted',
      tenants: inForce.map((t) => t.name),
      lastGoodInForce: r !== undefined && accepted.has(file),
      problems: r?.problems.length ?? 0,
    });
  }
  const problems = names.flatMap((f) => rejected.get(f)?.problems ?? []);
  return { tenants, problems, files };
}
