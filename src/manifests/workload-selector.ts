// Selecting workloads (containers, Kubernetes pods) by what they are: runtime, name globs, pod namespaces and labels, in the
// Kubernetes label-selector style (matchLabels, matchExpressions with In, NotIn, Exists, DoesNotExist).
// Pure; selectors are compiled once per selector object (they are immutable).
import picomatch from 'picomatch';

export const LABEL_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
export type LabelOperator = (typeof LABEL_OPERATORS)[number];

export interface LabelExpression {
  readonly key: string;
  readonly operator: LabelOperator;
  /** Non-empty for In and NotIn, empty for Exists and DoesNotExist. */
  readonly values: readonly string[];
}

/** One entry of spec.workloads: every criterion given must hold (AND); the entries of a tenant are alternatives (OR). */
export interface WorkloadSelector {
  /** Only workloads of this runtime ("docker"); absent: any runtime. */
  readonly runtime?: string;
  /** Globs on the workload's name (a Docker container name; a pod's "namespace/pod"); absent: any name. */
  readonly names?: readonly string[];
  /** Globs on a pod's Kubernetes namespace; a workload without one (a container) never matches. Absent: any. */
  readonly k8sNamespaces?: readonly string[];
  /** The pod must name this tenant in its k8s.v1.cni.cncf.io/networks annotation (the manifest lets pods choose it). */
  readonly networkAnnotation?: boolean;
  /** Labels that must be present with exactly these values. */
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelExpression[];
}

/** What a selector looks at: a workload whose metadata the runtime gave. */
export interface WorkloadRef {
  readonly runtime: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** A pod's Kubernetes namespace. */
  readonly k8sNamespace?: string;
  /** Tenants a pod names in its networks annotation. */
  readonly networks?: readonly string[];
}

/** Name globs: "*" matches names starting with "." too; a pod's name is "namespace/pod" ("*" stays inside one part). */
const NAME_GLOB = Object.freeze({ dot: true });

const compiled = new WeakMap<WorkloadSelector, (w: WorkloadRef, tenant: string | undefined) => boolean>();

function label(labels: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(labels, key) ? labels[key] : undefined;
}

/** Kubernetes semantics: NotIn and DoesNotExist also hold when the label is absent. */
export function expressionHolds(e: LabelExpression, labels: Readonly<Record<string, string>>): boolean {
  const v = label(labels, e.key);
  switch (e.operator) {
    case 'Exists': return v !== undefined;
    case 'DoesNotExist': return v === undefined;
    case 'In': return v !== undefined && e.values.includes(v);
    case 'NotIn': return v === undefined || !e.values.includes(v);
  }
}

function compile(sel: WorkloadSelector): (w: WorkloadRef, tenant: string | undefined) => boolean {
  const name = sel.names && sel.names.length > 0 ? picomatch([...sel.names], NAME_GLOB) : undefined;
  const ns = sel.k8sNamespaces && sel.k8sNamespaces.length > 0 ? picomatch([...sel.k8sNamespaces], NAME_GLOB) : undefined;
  const eq = Object.entries(sel.matchLabels ?? {});
  const exprs = sel.matchExpressions ?? [];
  return (w, tenant) =>
    (sel.runtime === undefined || sel.runtime === w.runtime) &&
    (name === undefined || name(w.name)) &&
    (ns === undefined || (w.k8sNamespace !== undefined && ns(w.k8sNamespace))) &&
    (sel.networkAnnotation !== true || (tenant !== undefined && (w.networks ?? []).includes(tenant))) &&
    eq.every(([k, v]) => label(w.labels, k) === v) &&
    exprs.every((e) => expressionHolds(e, w.labels));
}

/** `tenant`: the name of the tenant the selector belongs to (for networkAnnotation). */
export function selectorMatches(sel: WorkloadSelector, w: WorkloadRef, tenant?: string): boolean {
  let m = compiled.get(sel);
  if (!m) compiled.set(sel, (m = compile(sel)));
  return m(w, tenant);
}

/** True if any of the selectors (of tenant `tenant`) matches the workload. */
export function anySelectorMatches(selectors: readonly WorkloadSelector[] | undefined, w: WorkloadRef | undefined, tenant?: string): boolean {
  if (!w || !selectors) return false;
  return selectors.some((s) => selectorMatches(s, w, tenant));
}

/**
 * Whether a static-address key could be the name of a workload these selectors take: a selector that
 * does not constrain names (labels only) may take any name; otherwise one of its name globs must match.
 */
export function workloadNameMayMatch(selectors: readonly WorkloadSelector[], name: string): boolean {
  const slash = name.indexOf('/');
  const podNs = slash > 0 ? name.slice(0, slash) : undefined;
  return selectors.some((s) =>
    (!s.names || s.names.length === 0 || picomatch([...s.names], NAME_GLOB)(name)) &&
    // A pod namespace constraint: only "namespace/pod" keys of those namespaces can be its workloads'.
    (!s.k8sNamespaces || s.k8sNamespaces.length === 0 || (podNs !== undefined && picomatch([...s.k8sNamespaces], NAME_GLOB)(podNs))));
}
