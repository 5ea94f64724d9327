// spec.workloads of a tenant manifest: selectors on runtime workloads (containers, Kubernetes pods) by
// runtime, name globs, pod namespaces, labels and the pods' networks annotation. Validated from the plain value of the field, each problem on the line of its entry.
import { describeValue } from '../config/describe-value.js';
import { didYouMean } from '../config/did-you-mean.js';
import { patternFault } from './pattern-rules.js';
import { LABEL_OPERATORS, type LabelExpression, type LabelOperator, type WorkloadSelector } from './workload-selector.js';
import { WORKLOAD_RUNTIMES, WORKLOAD_SELECTOR_FIELDS, LABEL_EXPRESSION_FIELDS } from './fields.js';

/** Most selectors per tenant, names per selector, labels/expressions per selector and values per expression. */
export const WORKLOAD_LIMITS = Object.freeze({ selectors: 64, names: 64, labels: 32, expressions: 32, values: 64, k8sNamespaces: 64 });
/** Longest label key (a Kubernetes prefix/name is at most 253 + 1 + 63) and value accepted in a selector. */
export const LABEL_KEY_MAX = 317;
export const LABEL_VALUE_MAX = 1024;
/** Longest workload name glob (Docker names are far shorter; a pod's "namespace/pod" is at most 63 + 1 + 253). */
export const WORKLOAD_NAME_PATTERN_MAX = 320;
/** Longest Kubernetes namespace glob (a namespace name is at most 63 characters). */
export const K8S_NAMESPACE_PATTERN_MAX = 63;

export interface WorkloadsProblem {
  /** Index of the selector it concerns (for its line), or -1 for the field as a whole. */
  readonly index: number;
  readonly message: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function labelKeyFault(k: string): string | undefined {
  if (k === '') return 'must not be empty';
  if (k.length > LABEL_KEY_MAX) return `is longer than ${LABEL_KEY_MAX} characters`;
  if (CONTROL.test(k)) return 'holds a control character';
  return undefined;
}

function labelValueFault(v: unknown): string | undefined {
  if (typeof v !== 'string') return `must be a string, got ${describeValue(v)}${typeof v === 'number' || typeof v === 'boolean' ? ` (quote it: "${String(v)}")` : ''}`;
  if (v.length > LABEL_VALUE_MAX) return `is longer than ${LABEL_VALUE_MAX} characters`;
  return undefined;
}

/** A null-prototype record: "__proto__" is a label key like any other. */
function ownRecord(entries: readonly (readonly [string, string])[]): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true });
  return out;
}

/**
 * A non-empty list of globs (names, Kubernetes namespaces): each a non-empty string of at most
 * `maxLength`, of the field's shape, and a pattern the matcher accepts. Undefined when the list itself is refused.
 */
function globList(
  value: unknown,
  at: string,
  o: { readonly on: string; readonly limit: number; readonly maxLength: number; readonly shapeFault: (p: string) => string | undefined },
  r: (m: string) => void,
): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    r(`${at} must be a non-empty list of globs on ${o.on}, got ${describeValue(value)}`);
    return undefined;
  }
  if (value.length > o.limit) {
    r(`${at} has ${value.length} entries, more than ${o.limit}`);
    return undefined;
  }
  const ok: string[] = [];
  value.forEach((p: unknown, i) => {
    if (typeof p !== 'string' || p.trim() === '') return r(`${at}[${i}] must be a non-empty string, got ${describeValue(p)}`);
    if (p.length > o.maxLength) return r(`${at}[${i}] is longer than ${o.maxLength} characters`);
    const fault = o.shapeFault(p) ?? patternFault(p);
    if (fault !== undefined) return r(`${at}[${i}] ${JSON.stringify(p)} ${fault}`);
    ok.push(p);
  });
  return ok;
}

function parseSelector(raw: unknown, at: string, report: (m: string) => void): WorkloadSelector | undefined {
  if (!isRecord(raw)) {
    report(`${at} must be a mapping with runtime, names, k8sNamespaces, matchLabels, matchExpressions or networkAnnotation, got ${describeValue(raw)}`);
    return undefined;
  }
  const before = { n: 0 };
  const r = (m: string): void => {
    before.n++;
    report(m);
  };
  for (const key of Object.keys(raw)) {
    if ((WORKLOAD_SELECTOR_FIELDS as readonly string[]).includes(key)) continue;
    const near = didYouMean(key, WORKLOAD_SELECTOR_FIELDS);
    r(`unknown field "${key}" in ${at}; ${near === undefined ? `known fields: ${WORKLOAD_SELECTOR_FIELDS.join(', ')}` : `did you mean "${near}"?`}`);
  }
  const sel: { runtime?: string; names?: string[]; k8sNamespaces?: string[]; matchLabels?: Record<string, string>; matchExpressions?: LabelExpression[]; networkAnnotation?: boolean } = {};
  const runtime = raw.runtime ?? undefined;
  if (runtime !== undefined) {
    if (typeof runtime !== 'string' || !(WORKLOAD_RUNTIMES as readonly string[]).includes(runtime)) r(`${at}.runtime must be one of ${WORKLOAD_RUNTIMES.map((x) => `"${x}"`).join(', ')}, got ${describeValue(runtime)}`);
    else sel.runtime = runtime;
  }
  const names = raw.names ?? undefined;
  if (names !== undefined) {
    const ok = globList(names, `${at}.names`, {
      on: 'workload (container) names', limit: WORKLOAD_LIMITS.names, maxLength: WORKLOAD_NAME_PATTERN_MAX,
      // A pod's name is "namespace/pod": one "/" inside; a leading "/" or two are a namespace path (spec.namespaces).
      shapeFault: (p) => (p.startsWith('/') || p.split('/').length > 2 || p.endsWith('/')
        ? 'is not a workload name glob: container names have no "/", pod names are "namespace/pod" (namespace paths go in spec.namespaces)'
        : undefined),
    }, r);
    if (ok) sel.names = ok;
  }
  const kn = raw.k8sNamespaces ?? undefined;
  if (kn !== undefined) {
    const ok = globList(kn, `${at}.k8sNamespaces`, {
      on: 'Kubernetes namespace names', limit: WORKLOAD_LIMITS.k8sNamespaces, maxLength: K8S_NAMESPACE_PATTERN_MAX,
      shapeFault: (p) => (p.includes('/') ? 'contains "/": a Kubernetes namespace name has none' : undefined),
    }, r);
    if (ok) sel.k8sNamespaces = ok;
    if (sel.runtime === 'docker') r(`${at}.k8sNamespaces selects Kubernetes pods, but ${at}.runtime is "docker"`);
  }
  const na = raw.networkAnnotation ?? undefined;
  if (na !== undefined) {
    if (typeof na !== 'boolean') r(`${at}.networkAnnotation must be true or false, got ${describeValue(na)}`);
    else if (na) {
      sel.networkAnnotation = true;
      if (sel.runtime === 'docker') r(`${at}.networkAnnotation lets Kubernetes pods choose the tenant, but ${at}.runtime is "docker"`);
    }
  }
  const ml = raw.matchLabels ?? undefined;
  if (ml !== undefined) {
    if (!isRecord(ml)) r(`${at}.matchLabels must be a mapping of label to value, got ${describeValue(ml)}`);
    else {
      const entries = Object.entries(ml);
      if (entries.length === 0) r(`${at}.matchLabels must not be empty`);
      if (entries.length > WORKLOAD_LIMITS.labels) r(`${at}.matchLabels has ${entries.length} labels, more than ${WORKLOAD_LIMITS.labels}`);
      const ok: [string, string][] = [];
      for (const [k, v] of entries.slice(0, WORKLOAD_LIMITS.labels)) {
        const kf = labelKeyFault(k);
        const vf = labelValueFault(v);
        if (kf !== undefined) r(`${at}.matchLabels key ${JSON.stringify(k.slice(0, 64))} ${kf}`);
        else if (vf !== undefined) r(`${at}.matchLabels.${k} ${vf}`);
        else ok.push([k, v as string]);
      }
      sel.matchLabels = ownRecord(ok);
    }
  }
  const me = raw.matchExpressions ?? undefined;
  if (me !== undefined) {
    if (!Array.isArray(me) || me.length === 0) r(`${at}.matchExpressions must be a non-empty list of {key, operator, values}, got ${describeValue(me)}`);
    else if (me.length > WORKLOAD_LIMITS.expressions) r(`${at}.matchExpressions has ${me.length} entries, more than ${WORKLOAD_LIMITS.expressions}`);
    else {
      const ok: LabelExpression[] = [];
      me.forEach((e: unknown, i) => {
        const where = `${at}.matchExpressions[${i}]`;
        if (!isRecord(e)) return r(`${where} must be a mapping with key, operator and values, got ${describeValue(e)}`);
        for (const key of Object.keys(e)) {
          if (!(LABEL_EXPRESSION_FIELDS as readonly string[]).includes(key)) r(`unknown field "${key}" in ${where}; known fields: ${LABEL_EXPRESSION_FIELDS.join(', ')}`);
        }
        const key = e.key;
        const kf = typeof key === 'string' ? labelKeyFault(key) : `must be a string, got ${describeValue(key)}`;
        if (kf !== undefined) return r(`${where}.key ${kf}`);
        const op = e.operator;
        if (typeof op !== 'string' || !(LABEL_OPERATORS as readonly string[]).includes(op)) {
          return r(`${where}.operator must be one of ${LABEL_OPERATORS.join(', ')}, got ${describeValue(op)}`);
        }
        const values = e.values ?? undefined;
        const setBased = op === 'In' || op === 'NotIn';
        if (!setBased) {
          if (values !== undefined && !(Array.isArray(values) && values.length === 0)) return r(`${where}.values must be absent for operator ${op}`);
          ok.push({ key: key as string, operator: op as LabelOperator, values: [] });
          return;
        }
        if (values === undefined) return r(`${where}.values is missing (a non-empty list of strings for operator ${op})`);
        if (!Array.isArray(values) || values.length === 0) return r(`${where}.values must be a non-empty list of strings for operator ${op}, got ${describeValue(values)}`);
        if (values.length > WORKLOAD_LIMITS.values) return r(`${where}.values has ${values.length} entries, more than ${WORKLOAD_LIMITS.values}`);
        const bad = values.map((v: unknown) => labelValueFault(v)).find((f) => f !== undefined);
        if (bad !== undefined) return r(`${where}.values: each value ${bad}`);
        ok.push({ key: key as string, operator: op as LabelOperator, values: [...new Set(values as string[])] });
      });
      sel.matchExpressions = ok;
    }
  }
  if (before.n > 0) return undefined;
  if (sel.names === undefined && sel.k8sNamespaces === undefined && sel.matchLabels === undefined && sel.matchExpressions === undefined && sel.runtime === undefined && sel.networkAnnotation === undefined) {
    report(`${at} selects nothing: give runtime, names, k8sNamespaces, matchLabels, matchExpressions or networkAnnotation`);
    return undefined;
  }
  return sel;
}

/** Validates the value of spec.workloads (absent/null = none). */
export function parseWorkloads(value: unknown): { selectors: WorkloadSelector[]; problems: WorkloadsProblem[] } {
  const problems: WorkloadsProblem[] = [];
  if (value === null || value === undefined) return { selectors: [], problems };
  if (!Array.isArray(value) || value.length === 0) {
    problems.push({ index: -1, message: `spec.workloads must be a non-empty list of selectors (runtime, names, k8sNamespaces, matchLabels, matchExpressions, networkAnnotation), got ${describeValue(value)}` });
    return { selectors: [], problems };
  }
  if (value.length > WORKLOAD_LIMITS.selectors) {
    problems.push({ index: -1, message: `spec.workloads has ${value.length} selectors, more than ${WORKLOAD_LIMITS.selectors}` });
    return { selectors: [], problems };
  }
  const selectors: WorkloadSelector[] = [];
  value.forEach((raw: unknown, i) => {
    const s = parseSelector(raw, `spec.workloads[${i}]`, (message) => problems.push({ index: i, message }));
    if (s) selectors.push(s);
  });
  return { selectors, problems };
}
