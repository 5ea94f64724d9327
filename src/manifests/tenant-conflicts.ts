// Rules between tenants (names, ids, subnets, overlapping namespace patterns): the same checks run within
// one file and across files, and always report on the candidate's side naming the other's file:line.
// Indexed (maps by name, id, subnet prefix and pattern), so checking a tenant costs a few lookups whatever
// the number of tenants already in: 10,000 tenants are checked in linear time, not pairwise.
import { maskOf, parseCidr } from '../net/ipv4.js';
import { mask6Of, parseCidr6 } from '../net/ipv6.js';
import type { ManifestProblem } from './types.js';
import type { ParsedTenant } from './parsed-tenant.js';
import { SubnetIndex } from './subnet-index.js';
import { PatternIndex, type PatternOwner } from './pattern-overlaps.js';
import { describeSelector, selectorsOverlap } from './selector-overlaps.js';

interface Ref {
  readonly file: string;
  readonly pt: ParsedTenant;
  readonly owners: readonly PatternOwner[];
  /** Set when its file is removed; the subnet indexes drop such refs lazily. */
  removed: boolean;
}

/** A prefix as one number (network × 64 + length): exact, and much cheaper than a string key. */
function subnetKey(address: number, len: number): number {
  return ((address & maskOf(len)) >>> 0) * 64 + len;
}

/** An IPv6 prefix as one key (network in hex, length). */
function subnet6Key(address: bigint, len: number): string {
  return `${(address & mask6Of(len)).toString(16)}/${len}`;
}

/** The tenants in force (or accepted so far in one file), indexed for the rules between tenants. */
export class TenantIndex {
  private readonly names = new Map<string, Ref>();
  private readonly ids = new Map<number, Ref>();
  /** Subnets in force (spec.subnet, spec.subnet6), by prefix. */
  private readonly subnets = new SubnetIndex<number, Ref>();
  private readonly subnets6 = new SubnetIndex<string, Ref>();
  private size = 0;
  private readonly patterns = new PatternIndex();
  private readonly byFile = new Map<string, Ref[]>();
  /** Tenants with spec.workloads: their selectors are compared pairwise (few tenants select containers). */
  private readonly selecting = new Set<Ref>();

  /** Problems of `candidate` (in `file`) with the tenants in the index, on the candidate's lines. */
  conflicts(file: string, candidate: ParsedTenant): ManifestProblem[] {
    const c = candidate.tenant;
    const out: ManifestProblem[] = [];
    const problem = (line: number, message: string): void => {
      out.push({ file, line, message, tenant: c.name });
    };
    const byName = this.names.get(c.name);
    if (byName) problem(candidate.lines.name, `tenant "${c.name}" is already defined at ${byName.file}:${byName.pt.lines.name}`);
    const byId = this.ids.get(c.id);
    if (byId) problem(candidate.lines.id, `spec.id ${c.id} of tenant "${c.name}" is already used by tenant "${byId.pt.tenant.name}" (${byId.file}:${byId.pt.lines.id})`);
    const cidr = c.subnet === undefined ? undefined : parseCidr(c.subnet);
    if (cidr) {
      const over = this.subnets.overlap((len) => subnetKey(cidr.address, len), cidr.prefixLen);
      if (over) {
        const o = over.pt;
        problem(candidate.lines.subnet ?? candidate.lines.doc, `spec.subnet ${c.subnet} of tenant "${c.name}" overlaps subnet ${o.tenant.subnet} of tenant "${o.tenant.name}" (${over.file}:${o.lines.subnet ?? o.lines.doc})`);
      }
    }
    const cidr6 = c.subnet6 === undefined ? undefined : parseCidr6(c.subnet6);
    if (cidr6) {
      const over = this.subnets6.overlap((len) => subnet6Key(cidr6.address, len), cidr6.prefixLen);
      if (over) {
        const o = over.pt;
        problem(candidate.lines.subnet6 ?? candidate.lines.doc,
          `spec.subnet6 ${c.subnet6} of tenant "${c.name}" overlaps subnet6 ${o.tenant.subnet6} of tenant "${o.tenant.name}" (${over.file}:${o.lines.subnet6 ?? o.lines.doc})`);
      }
    }
    c.namespaces.forEach((pattern, i) => {
      const hit = this.patterns.overlap(pattern, c.name);
      if (hit) problem(candidate.lines.namespaces[i] ?? candidate.lines.doc, hit.message(pattern, c.name, `${hit.other.file}:${hit.other.line}`));
    });
    (c.workloads ?? []).forEach((sel, i) => {
      for (const ref of this.selecting) {
        const o = ref.pt.tenant;
        if (o.name === c.name) continue;
        const j = (o.workloads ?? []).findIndex((s) => selectorsOverlap(sel, s) !== undefined);
        if (j < 0) continue;
        const other = o.workloads![j]!;
        problem(candidate.lines.workloads?.[i] ?? candidate.lines.doc,
          `spec.workloads[${i}] of tenant "${c.name}" (${describeSelector(sel)}) and spec.workloads[${j}] of tenant "${o.name}" (${describeSelector(other)}, ` +
          `${ref.file}:${ref.pt.lines.workloads?.[j] ?? ref.pt.lines.doc}) can both select one workload (e.g. one named ${JSON.stringify(selectorsOverlap(sel, other))} with labels both accept): it would belong to both`);
        break;
      }
    });
    return out;
  }

  /** Indexes a tenant (of `file`); the caller has checked it has no conflicts. */
  add(file: string, pt: ParsedTenant): void {
    const t = pt.tenant;
    const owners = t.namespaces.map((_, i) => ({ file, tenant: t.name, line: pt.lines.namespaces[i] ?? pt.lines.doc }));
    const ref: Ref = { file, pt, owners, removed: false };
    this.size++;
    this.names.set(t.name, ref);
    this.ids.set(t.id, ref);
    const cidr = t.subnet === undefined ? undefined : parseCidr(t.subnet);
    if (cidr) this.subnets.add((len) => subnetKey(cidr.address, len), cidr.prefixLen, ref);
    const cidr6 = t.subnet6 === undefined ? undefined : parseCidr6(t.subnet6);
    if (cidr6) this.subnets6.add((len) => subnet6Key(cidr6.address, len), cidr6.prefixLen, ref);
    t.namespaces.forEach((p, i) => this.patterns.add(p, owners[i]!));
    if (t.workloads && t.workloads.length > 0) this.selecting.add(ref);
    const list = this.byFile.get(file);
    if (list) list.push(ref);
    else this.byFile.set(file, [ref]);
  }

  /** Every tenant of `file` that is indexed. */
  tenantsOf(file: string): readonly ParsedTenant[] {
    return (this.byFile.get(file) ?? []).map((r) => r.pt);
  }

  /** Removes the tenants of `file` (when a new version of it is checked, or it is gone). */
  removeFile(file: string): void {
    for (const ref of this.byFile.get(file) ?? []) {
      ref.removed = true;
      this.size--;
      const t = ref.pt.tenant;
      if (this.names.get(t.name) === ref) this.names.delete(t.name);
      if (this.ids.get(t.id) === ref) this.ids.delete(t.id);
      const cidr = t.subnet === undefined ? undefined : parseCidr(t.subnet);
      if (cidr) this.subnets.remove(subnetKey(cidr.address, cidr.prefixLen), ref);
      const cidr6 = t.subnet6 === undefined ? undefined : parseCidr6(t.subnet6);
      if (cidr6) this.subnets6.remove(subnet6Key(cidr6.address, cidr6.prefixLen), ref);
      for (const o of ref.owners) this.patterns.remove(o);
      this.selecting.delete(ref);
    }
    this.byFile.delete(file);
  }

  /** Indexes every tenant of a file version; returns the problems instead (and indexes nothing) if any conflicts. */
  tryAddFile(file: string, tenants: readonly ParsedTenant[]): ManifestProblem[] {
    // The tenants of one parsed file are compatible with each other (parseManifestFile checked them):
    // into an empty index they go without checks.
    const problems = this.size === 0 ? [] : tenants.flatMap((t) => this.conflicts(file, t));
    if (problems.length === 0) for (const t of tenants) this.add(file, t);
    return problems;
  }
}
