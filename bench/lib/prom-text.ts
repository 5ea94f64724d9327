/** Samples of a Prometheus text exposition, keyed `name{label="v",...}` exactly as exposed (labels sorted). */
export type PromSamples = Map<string, number>;

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Canonical key of a sample: the name plus its labels sorted by name. */
export function sampleKey(name: string, labels: Readonly<Record<string, string>> = {}): string {
  const parts = Object.keys(labels).sort().map((k) => `${k}="${labels[k]}"`);
  return parts.length ? `${name}{${parts.join(',')}}` : name;
}

/** Parses the text format (comments skipped); what a bench needs to diff an agent's metrics. */
export function parsePromText(text: string): PromSamples {
  const out: PromSamples = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1] as string] = l[2] as string;
    const v = m[3] === '+Inf' ? Number.POSITIVE_INFINITY : m[3] === '-Inf' ? Number.NEGATIVE_INFINITY : Number(m[3]);
    out.set(sampleKey(m[1] as string, labels), v);
  }
  return out;
}

/** after - before for one sample (a sample missing before counts from 0; missing after is undefined). */
export function sampleDelta(before: PromSamples, after: PromSamples, key: string): number | undefined {
  const a = after.get(key);
  if (a === undefined) return undefined;
  return a - (before.get(key) ?? 0);
}

/** Sum of every sample of `name` whose labels include `match`, after - before: e.g. all spawns regardless of program. */
export function sumDelta(before: PromSamples, after: PromSamples, name: string): number | undefined {
  let found = false;
  let total = 0;
  for (const [k, v] of after) {
    if (k !== name && !k.startsWith(`${name}{`)) continue;
    found = true;
    total += v - (before.get(k) ?? 0);
  }
  return found ? total : undefined;
}
