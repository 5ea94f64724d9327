import type { Found } from './observation.js';
import type { NamespaceEvent, NamespaceInfo } from './types.js';
import type { NamespaceRefusedError } from './errors/namespace-refused-error.js';
import { NamespaceSymlinkError } from './errors/namespace-symlink-error.js';
import { HostNamespaceFileError } from './errors/host-namespace-file-error.js';
import { NamespaceAliasError } from './errors/namespace-alias-error.js';

/** A namespace that is never handed to a tenant: the agent's own, or the configured host namespace. */
export interface ProtectedNamespace {
  /** dev:ino of the namespace. */
  readonly nsId: string;
  readonly which: 'agent' | 'host';
  /** Where it was read: /proc/self/ns/net or the hostNetns path. */
  readonly path: string;
}

/** What one step of admission decided. */
export interface AdmissionStep {
  /** Namespaces to report (added: plug it; removed: it is gone). */
  readonly events: NamespaceEvent[];
  /** Files refused by this step (each reported once). */
  readonly refused: NamespaceRefusedError[];
  /** Paths no longer refused (gone, changed, or admitted after all). */
  readonly cleared: string[];
  /** Still refused, for a new reason (an alias whose namespace changed hands): not a new refusal. */
  readonly updated: NamespaceRefusedError[];
}

/**
 * Decides which files found in watched directories are namespaces to plug.
 * Pure: the per-directory diff feeds it files added and removed, it answers
 * with namespace events and refusals. Refused, never plugged:
 *
 * - a symbolic link (a watched directory never yields a namespace outside it);
 * - the agent's own network namespace, or the configured host namespace;
 * - an alias: the same namespace (dev+inode) as one already admitted under
 *   another path. The path admitted first keeps it; files of one look come
 *   in path order, so the lexicographically first path wins a tie.
 *
 * When the admitted path goes away while aliases remain, the one seen first
 * (ties: smallest path) is admitted at once in its place: the namespace is
 * still reachable, now under exactly one path.
 */
export class Admission {
  /** Every file currently found, by path. */
  private readonly found = new Map<string, Found>();
  /** nsId → the admitted path holding it. */
  private readonly owners = new Map<string, string>();
  private readonly refusals = new Map<string, NamespaceRefusedError>();
  private readonly protectedById: ReadonlyMap<string, ProtectedNamespace>;

  constructor(protectedNamespaces: readonly ProtectedNamespace[] = []) {
    const byId = new Map<string, ProtectedNamespace>();
    // The agent's own first: when it is also the host namespace, say "the agent's own".
    for (const p of protectedNamespaces) if (!byId.has(p.nsId)) byId.set(p.nsId, p);
    this.protectedById = byId;
  }

  /** Files currently refused, by path. */
  get refused(): ReadonlyMap<string, NamespaceRefusedError> {
    return this.refusals;
  }

  added(f: Found): AdmissionStep {
    const step: AdmissionStep = { events: [], refused: [], cleared: [], updated: [] };
    if (this.found.has(f.ns.path)) this.removeInto(this.found.get(f.ns.path) as Found, step);
    this.found.set(f.ns.path, f);
    const refusal = this.judge(f);
    if (refusal) {
      this.refusals.set(f.ns.path, refusal);
      step.refused.push(refusal);
    } else if (f.kind === 'namespace') {
      this.owners.set(f.nsId, f.ns.path);
      step.events.push({ type: 'added', ns: f.ns });
    }
    return step;
  }

  removed(f: Found): AdmissionStep {
    const step: AdmissionStep = { events: [], refused: [], cleared: [], updated: [] };
    const held = this.found.get(f.ns.path);
    if (held && sameFile(held, f)) this.removeInto(held, step);
    return step;
  }

  private judge(f: Found): NamespaceRefusedError | undefined {
    const { path, name } = f.ns;
    if (f.kind === 'symlink') return new NamespaceSymlinkError(path, name, f.target);
    const prot = this.protectedById.get(f.nsId);
    if (prot) return new HostNamespaceFileError(path, name, prot.which, prot.path);
    const owner = this.owners.get(f.nsId);
    if (owner !== undefined && owner !== path) return new NamespaceAliasError(path, name, owner);
    return undefined;
  }

  private removeInto(f: Found, step: AdmissionStep): void {
    const path = f.ns.path;
    this.found.delete(path);
    if (this.refusals.delete(path)) {
      step.cleared.push(path);
      return;
    }
    if (f.kind !== 'namespace' || this.owners.get(f.nsId) !== path) return;
    this.owners.delete(f.nsId);
    step.events.push({ type: 'removed', ns: f.ns });
    const heir = this.firstAlias(f.nsId);
    if (heir) {
      this.refusals.delete(heir.path);
      step.cleared.push(heir.path);
      this.owners.set(f.nsId, heir.path);
      step.events.push({ type: 'added', ns: heir });
      for (const [p, r] of this.refusals) {
        const g = this.found.get(p);
        if (r.reason !== 'alias' || g?.kind !== 'namespace' || g.nsId !== f.nsId) continue;
        const again = new NamespaceAliasError(p, r.namespace, heir.path);
        this.refusals.set(p, again);
        step.updated.push(again);
      }
    }
  }

  /** The refused alias of a namespace seen first (ties: smallest path). */
  private firstAlias(nsId: string): NamespaceInfo | undefined {
    let best: NamespaceInfo | undefined;
    for (const f of this.found.values()) {
      if (f.kind !== 'namespace' || f.nsId !== nsId || this.refusals.get(f.ns.path)?.reason !== 'alias') continue;
      if (!best || f.ns.firstSeenMs < best.firstSeenMs || (f.ns.firstSeenMs === best.firstSeenMs && f.ns.path < best.path)) best = f.ns;
    }
    return best;
  }
}

function sameFile(a: Found, b: Found): boolean {
  if (a.kind === 'namespace' && b.kind === 'namespace') return a.nsId === b.nsId && a.ns.inode === b.ns.inode;
  return a.kind === 'symlink' && b.kind === 'symlink' && a.target === b.target;
}

/** One admission over a fixed set of files (a single look: `scanNamespaces`), in path order: the namespaces admitted. */
export function admitAll(files: readonly Found[], protectedNamespaces: readonly ProtectedNamespace[]): { admitted: NamespaceInfo[]; refused: NamespaceRefusedError[] } {
  const a = new Admission(protectedNamespaces);
  const admitted: NamespaceInfo[] = [];
  const refused: NamespaceRefusedError[] = [];
  for (const f of [...files].sort((x, y) => (x.ns.path < y.ns.path ? -1 : x.ns.path > y.ns.path ? 1 : 0))) {
    const s = a.added(f);
    for (const ev of s.events) admitted.push(ev.ns);
    refused.push(...s.refused);
  }
  return { admitted, refused };
}
