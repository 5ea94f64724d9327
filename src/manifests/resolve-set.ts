// Decides which version of each manifest file is in force. Pure, so the rules (last good version
// stays, the newer file loses a cross-file conflict) are unit-tested without a file system.
import type { ManifestProblem, Tenant, TenantSet, ManifestFileStatus } from './types.js';
import type { ParsedFile } from './parsed-tenant.js';
import { conflictsWith } from './tenant-conflicts.js';

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

function crossFileProblems(candidate: ParsedFile, accepted: ReadonlyMap<string, AcceptedVersion>): ManifestProblem[] {
  const out: ManifestProblem[] = [];
  for (const [file, version] of accepted) {
    if (file === candidate.file) continue;
    for (const other of version.parsed.tenants) {
      for (const t of candidate.tenants) out.push(...conflictsWith(candidate.file, t, file, other));
    }
  }
  return out.sort((a, b) => a.line - b.line);
}

/**
 * Next versions in force given the previous ones and the files now present. A file with a problem of
 * its own is rejected and its previous version (if any) stays; a file that conflicts with a version in
 * force is rejected (so among new or changed files, the one modified last loses, ties by path);
 * a rejected file is retried on every pass, so fixing or deleting the other side lets it in.
 */
export function resolveTenantSet(previous: ReadonlyMap<string, AcceptedVersion>, files: readonly FileSnapshot[]): Resolution {
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
  let lastProblems = new Map<string, ManifestProblem[]>();
  for (let progress = true; progress && pending.length > 0; ) {
    progress = false;
    const still: FileSnapshot[] = [];
    lastProblems = new Map();
    for (const c of pending) {
      const problems = crossFileProblems(c.parsed, accepted);
      if (problems.length === 0) {
        accepted.set(c.parsed.file, { hash: c.hash, parsed: c.parsed });
        progress = true;
      } else {
        still.push(c);
        lastProblems.set(c.parsed.file, problems);
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
