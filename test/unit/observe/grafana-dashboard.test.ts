import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { registryMetrics, type MetricInfo } from './registry-info.js';

const DASHBOARD = join(import.meta.dirname, '../../../deploy/grafana/nsvswitch-dashboard.json');

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}

/** The registry metric a series name belongs to (histograms export _bucket, _sum, _count). */
function baseMetric(series: string, reg: Map<string, MetricInfo>): MetricInfo | undefined {
  if (reg.has(series)) return reg.get(series);
  const m = /^(.*)_(bucket|sum|count)$/.exec(series);
  const h = m ? reg.get(m[1]!) : undefined;
  return h?.type === 'histogram' ? h : undefined;
}

describe('Grafana dashboard', () => {
  it('queries only metrics that exist, grouping only by labels they have', async () => {
    const reg = await registryMetrics();
    const dash = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Panel[] };
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThan(20);
    for (const { title, expr } of exprs) {
      const series = [...expr.matchAll(/\b(nsvswitch_[a-z0-9_]+)/g)].map((m) => m[1]!);
      expect(series.length, `${title}: ${expr}`).toBeGreaterThan(0);
      const infos = series.map((s) => baseMetric(s, reg));
      expect(infos.every(Boolean), `${title}: unknown metric in ${expr}`).toBe(true);
      const allowed = new Set(['le', 'instance', 'job', ...infos.flatMap((i) => i!.labels)]);
      for (const by of expr.matchAll(/\bby \(([^)]*)\)/g)) {
        for (const label of by[1]!.split(',').map((l) => l.trim())) {
          expect(allowed.has(label), `${title}: label ${label} not on ${series.join(', ')}`).toBe(true);
        }
      }
      // rate()/increase() belong on counters and histogram buckets.
      for (const r of expr.matchAll(/\b(?:rate|increase)\((nsvswitch_[a-z0-9_]+)/g)) {
        const info = baseMetric(r[1]!, reg)!;
        const tenantTraffic = /^nsvswitch_tenant_(receive|transmit)_/.test(info.name);
        expect(info.type === 'counter' || info.type === 'histogram' || tenantTraffic, `${title}: rate over ${info.type} ${info.name}`).toBe(true);
      }
    }
  });

  it('shows every nsvswitch metric (not only the process defaults) somewhere', async () => {
    const reg = await registryMetrics();
    const text = await readFile(DASHBOARD, 'utf8');
    const own = [...reg.values()].filter((m) => !/^nsvswitch_(process_(?!spawns)|nodejs_)/.test(m.name));
    const unused = own.filter((m) => !text.includes(m.name)).map((m) => m.name);
    expect(unused).toEqual([]);
  });
});
