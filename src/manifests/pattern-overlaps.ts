// Namespace patterns of different tenants that provably select the same namespace: identical patterns,
// a literal name (or path) matched by another tenant's glob, a literal name and a literal path with that
// name. Indexed, so checking n patterns costs about n lookups, not n² comparisons: literals by name, globs
// by the literal prefix of their last segment (a name a glob matches starts with that prefix).
// Two globs that overlap (`blue-*`, `*-web`) are not decidable here; the run-time rule catches them on the
// namespaces that exist (see workload-conflicts.ts).
import picomatch from 'picomatch';
import { GLOB_OPTIONS } from './match-namespace.js';

/** Prefixes longer than this share a bucket (and are told apart by the matcher). */
const PREFIX_KEY = 8;
const SPECIAL = /[*?[\]{}()!+@\\]/;

export interface PatternOwner {
  readonly file: string;
  readonly tenant: string;
  /** Line of this pattern in its file. */
  readonly line: number;
}

interface Entry {
  readonly pattern: string;
  readonly owner: PatternOwner;
  /** For a literal: the namespace name, and the full path for a pattern with "/". */
  readonly literal?: { readonly name: string; readonly path?: string };
  readonly prefix: string;
  matcher?: (s: string) => boolean;
}

export interface Overlap {
  /** The already-indexed pattern the candidate overlaps. */
  readonly other: PatternOwner & { readonly pattern: string };
  readonly message: (candidate: string, tenant: string, at: string) => string;
}

function isLiteral(pattern: string): boolean {
  return !SPECIAL.test(pattern);
}

/** Literal prefix of the last path segment; '' when a group could span segments or alternatives. */
function globPrefix(pattern: string): string {
  if (/[{}()]/.test(pattern)) return '';
  const seg = pattern.slice(pattern.lastIndexOf('/') + 1);
  const m = /^[^*?[\]{}()!+@\\]*/.exec(seg);
  return m?.[0] ?? '';
}

function bucketKey(prefix: string): string {
  return prefix.length > PREFIX_KEY ? prefix.slice(0, PREFIX_KEY) : prefix;
}

function entryOf(pattern: string, owner: PatternOwner): Entry {
  if (isLiteral(pattern)) {
    const name = pattern.slice(pattern.lastIndexOf('/') + 1);
    return { pattern, owner, literal: pattern.includes('/') ? { name, path: pattern } : { name }, prefix: name };
  }
  return { pattern, owner, prefix: globPrefix(pattern) };
}

function matcherOf(e: Entry): (s: string) => boolean {
  e.matcher ??= picomatch(e.pattern, GLOB_OPTIONS);
  return e.matcher;
}

/** Whether glob `g` matches a namespace that literal `l` names. */
function globTakesLiteral(g: Entry, l: NonNullable<Entry['literal']>): boolean {
  const m = matcherOf(g);
  if (!g.pattern.includes('/')) return m(l.name);
  if (l.path !== undefined) return m(l.path);
  // A literal name lives in some watched directory: try the glob's own literal directory.
  const base = picomatch.scan(g.pattern).base;
  return base.startsWith('/') && m(`${base}/${l.name}`);
}

function add<K, V>(map: Map<K, Set<V>>, key: K, v: V): void {
  let s = map.get(key);
  if (!s) map.set(key, (s = new Set()));
  s.add(v);
}

function remove<K, V>(map: Map<K, Set<V>>, key: K, v: V): void {
  const s = map.get(key);
  if (!s) return;
  s.delete(v);
  if (s.size === 0) map.delete(key);
}

export class PatternIndex {
  private readonly byPattern = new Map<string, Set<Entry>>();
  private readonly literalsByName = new Map<string, Set<Entry>>();
  /** Literals under every prefix of their name up to PREFIX_KEY characters. */
  private readonly literalsByPrefix = new Map<string, Set<Entry>>();
  /** Globs under bucketKey(prefix). */
  private readonly globs = new Map<string, Set<Entry>>();
  private readonly entries = new Map<PatternOwner, Entry>();

  add(pattern: string, owner: PatternOwner): void {
    const e = entryOf(pattern, owner);
    this.entries.set(owner, e);
    add(this.byPattern, pattern, e);
    if (e.literal) {
      add(this.literalsByName, e.literal.name, e);
      for (let j = 0; j <= Math.min(PREFIX_KEY, e.literal.name.length); j++) add(this.literalsByPrefix, e.literal.name.slice(0, j), e);
    } else add(this.globs, bucketKey(e.prefix), e);
  }

  remove(owner: PatternOwner): void {
    const e = this.entries.get(owner);
    if (!e) return;
    this.entries.delete(owner);
    remove(this.byPattern, e.pattern, e);
    if (e.literal) {
      remove(this.literalsByName, e.literal.name, e);
      for (let j = 0; j <= Math.min(PREFIX_KEY, e.literal.name.length); j++) remove(this.literalsByPrefix, e.literal.name.slice(0, j), e);
    } else remove(this.globs, bucketKey(e.prefix), e);
  }

  /** The first indexed pattern (of another tenant than `tenant`) that `pattern` overlaps, if any. */
  overlap(pattern: string, tenant: string): Overlap | undefined {
    const c = entryOf(pattern, { file: '', tenant, line: 0 });
    const other = (e: Entry): Overlap['other'] => ({ ...e.owner, pattern: e.pattern });
    const foreign = (e: Entry): boolean => e.owner.tenant !== tenant;
    for (const e of this.byPattern.get(pattern) ?? []) {
      if (!foreign(e)) continue;
      return { other: other(e), message: (p, t, at) => `namespace pattern "${p}" of tenant "${t}" is also a pattern of tenant "${e.owner.tenant}" (${at}): a namespace matching it would belong to both` };
    }
    if (c.literal) {
      const lit = c.literal;
      for (const e of this.literalsByName.get(lit.name) ?? []) {
        if (!foreign(e) || e.pattern === pattern || (e.literal?.path !== undefined && lit.path !== undefined)) continue;
        return { other: other(e), message: (p, t, at) => `namespace pattern "${p}" of tenant "${t}" and pattern "${e.pattern}" of tenant "${e.owner.tenant}" (${at}) name the same namespace "${lit.name}": it would belong to both` };
      }
      for (let j = 0; j <= Math.min(PREFIX_KEY, lit.name.length); j++) {
        for (const e of this.globs.get(lit.name.slice(0, j)) ?? []) {
          if (!foreign(e) || !lit.name.startsWith(e.prefix) || !globTakesLiteral(e, lit)) continue;
          return { other: other(e), message: (p, t, at) => `namespace pattern "${p}" of tenant "${t}" is matched by pattern "${e.pattern}" of tenant "${e.owner.tenant}" (${at}): namespace "${lit.name}" would belong to both` };
        }
      }
      return undefined;
    }
    const key = bucketKey(c.prefix);
    for (const e of this.literalsByPrefix.get(key) ?? []) {
      const lit = e.literal;
      if (!lit || !foreign(e) || !lit.name.startsWith(c.prefix) || !globTakesLiteral(c, lit)) continue;
      return { other: other(e), message: (p, t, at) => `namespace pattern "${p}" of tenant "${t}" matches pattern "${e.pattern}" of tenant "${e.owner.tenant}" (${at}): namespace "${lit.name}" would belong to both` };
    }
    return undefined;
  }
}
