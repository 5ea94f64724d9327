// Whether two workload selectors of different tenants can provably select one workload, decided where
// it is decidable without seeing the workload: their runtimes agree, their label requirements can be met
// by one label set, and their name constraints share a name (no name glob on one side, identical globs,
// or a literal name the other's glob matches). Two different globs ("web-*", "*-1") are not decided
// here: the run-time rule reports such a conflict on the workloads that exist. Pure.
import picomatch from 'picomatch';
import type { LabelExpression, WorkloadSelector } from './workload-selector.js';

const SPECIAL = /[*?[\]{}()!+@\\]/;

/** Per label key, what a selector demands of it. */
interface KeyDemand {
  /** The label must be absent. */
  absent: boolean;
  /** The label must be present. */
  present: boolean;
  /** Allowed values (undefined: any). */
  allowed: Set<string> | undefined;
  /** Forbidden values. */
  forbidden: Set<string>;
}

function demands(sel: WorkloadSelector, into = new Map<string, KeyDemand>()): Map<string, KeyDemand> {
  const of = (k: string): KeyDemand => {
    let d = into.get(k);
    if (!d) into.set(k, (d = { absent: false, present: false, allowed: undefined, forbidden: new Set() }));
    return d;
  };
  const allow = (d: KeyDemand, values: readonly string[]): void => {
    d.present = true;
    d.allowed = d.allowed ? new Set(values.filter((v) => d.allowed!.has(v))) : new Set(values);
  };
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) allow(of(k), [v]);
  for (const e of sel.matchExpressions ?? ([] as LabelExpression[])) {
    const d = of(e.key);
    if (e.operator === 'Exists') d.present = true;
    else if (e.operator === 'DoesNotExist') d.absent = true;
    else if (e.operator === 'In') allow(d, e.values);
    else for (const v of e.values) d.forbidden.add(v);
  }
  return into;
}

/** One label set can satisfy both selectors' label requirements. */
export function labelsCompatible(a: WorkloadSelector, b: WorkloadSelector): boolean {
  const all = demands(b, demands(a));
  for (const d of all.values()) {
    if (d.absent && d.present) return false;
    if (d.allowed && [...d.allowed].every((v) => d.forbidden.has(v))) return false;
  }
  return true;
}

function namesShared(a: readonly string[] | undefined, b: readonly string[] | undefined): string | undefined {
  if (!a || a.length === 0) return b && b.length > 0 ? b[0] : '*';
  if (!b || b.length === 0) return a[0];
  for (const x of a) {
    for (const y of b) {
      if (x === y) return x;
      if (!SPECIAL.test(x) && picomatch(y, { dot: true })(x)) return x;
      if (!SPECIAL.test(y) && picomatch(x, { dot: true })(y)) return y;
    }
  }
  return undefined;
}

/**
 * A name both selectors admit, if they provably select a common workload ("*" when neither constrains
 * names). Two selectors that both need the pod's networks annotation to name their (different) tenants
 * meet only on a pod that names both: that is the pod's doing, reported at run time as a conflict.
 */
export function selectorsOverlap(a: WorkloadSelector, b: WorkloadSelector): string | undefined {
  if (a.runtime !== undefined && b.runtime !== undefined && a.runtime !== b.runtime) return undefined;
  if (a.networkAnnotation === true && b.networkAnnotation === true) return undefined;
  // Pod namespaces (and a pod's name "namespace/pod") never belong to a Docker container.
  const podOnly = (s: WorkloadSelector): boolean => (s.k8sNamespaces?.length ?? 0) > 0 || s.networkAnnotation === true || (s.names ?? []).some((n) => n.includes('/'));
  const containerOnly = (s: WorkloadSelector): boolean => s.runtime === 'docker' || ((s.names?.length ?? 0) > 0 && s.names!.every((n) => !n.includes('/') && !n.includes('**')) && s.runtime !== 'cri');
  if ((podOnly(a) && containerOnly(b)) || (podOnly(b) && containerOnly(a))) return undefined;
  if (namesShared(a.k8sNamespaces, b.k8sNamespaces) === undefined) return undefined;
  if (!labelsCompatible(a, b)) return undefined;
  return namesShared(a.names, b.names);
}

/** Short text of a selector for messages. */
export function describeSelector(s: WorkloadSelector): string {
  const parts: string[] = [];
  if (s.runtime !== undefined) parts.push(`runtime ${s.runtime}`);
  if (s.names && s.names.length > 0) parts.push(`names ${JSON.stringify(s.names)}`);
  if (s.k8sNamespaces && s.k8sNamespaces.length > 0) parts.push(`k8sNamespaces ${JSON.stringify(s.k8sNamespaces)}`);
  if (s.networkAnnotation === true) parts.push('networkAnnotation');
  const eq = Object.entries(s.matchLabels ?? {});
  if (eq.length > 0) parts.push(`labels ${eq.map(([k, v]) => `${k}=${v}`).join(',')}`);
  for (const e of s.matchExpressions ?? []) parts.push(`${e.key} ${e.operator}${e.values.length > 0 ? ` (${e.values.join(',')})` : ''}`);
  return parts.join(', ') || 'every workload';
}
