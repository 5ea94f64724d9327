// Selecting workloads (containers, later pods) by what they are: runtime, name globs and labels, in the
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
  /** Globs on the workload's name (a Docker container name, without "/"); absent: any name. */
  readonly names?: readonly string[];
  /** Labels that must be present with exactly these values. */
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelExpression[];
}

/** What a selector looks at: a workload whose metadata the runtime gave. */
export interface WorkloadRef {
  readonly runtime: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Name globs: "*" matches names starting with "." too; names never hold "/" for Docker, so no path semantics. */
const NAME_GLOB = Object.freeze({ dot: true });

const compiled = new WeakMap<WorkloadSelector, (w: WorkloadRef) => boolean>();

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

function compile(sel: WorkloadSelector): (w: WorkloadRef) => boolean {
  const name = sel.names && sel.names.length > 0 ? picomatch([...sel.names], NAME_GLOB) : undefined;
  const eq = Object.entries(sel.matchLabels ?? {});
  const exprs = sel.matchExpressions ?? [];
  return (w) =>
    (sel.runtime === undefined || sel.runtime === w.runtime) &&
    (name === undefined || name(w.name)) &&
    eq.every(([k, v]) => label(w.labels, k) === v) &&
    exprs.every((e) => expressionHolds(e, w.labels));
}

export function selectorMatches(sel: WorkloadSelector, w: WorkloadRef): boolean {
  let m = compiled.get(sel);
  if (!m) compiled.set(sel, (m = compile(sel)));
  return m(w);
}

/** True if any of the selectors matches the workload. */
export function anySelectorMatches(selectors: readonly WorkloadSelector[] | undefined, w: WorkloadRef | undefined): boolean {
  if (!w || !selectors) return false;
  return selectors.some((s) => selectorMatches(s, w));
}

/**
 * Whether a static-address key could be the name of a workload these selectors take: a selector that
 * does not constrain names (labels only) may take any name; otherwise one of its name globs must match.
 */
export function workloadNameMayMatch(selectors: readonly WorkloadSelector[], name: string): boolean {
  return selectors.some((s) => !s.names || s.names.length === 0 || picomatch([...s.names], NAME_GLOB)(name));
}
