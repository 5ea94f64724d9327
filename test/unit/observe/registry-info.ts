import { Metrics } from '../../../src/observe/metrics.js';

export interface MetricInfo {
  readonly name: string;
  readonly type: string;
  readonly labels: readonly string[];
}

/** Name, type and label names of every metric in a fresh registry (what a scrape can show). */
export async function registryMetrics(): Promise<Map<string, MetricInfo>> {
  const m = new Metrics();
  const out = new Map<string, MetricInfo>();
  for (const { name, type } of await m.registry.getMetricsAsJSON()) {
    // prom-client keeps the label names on the instance but does not type them.
    const { labelNames } = m.registry.getSingleMetric(name) as unknown as { labelNames?: readonly string[] };
    out.set(name, { name, type: String(type), labels: [...(labelNames ?? [])] });
  }
  return out;
}
