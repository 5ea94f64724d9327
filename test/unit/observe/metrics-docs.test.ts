import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { registryMetrics } from './registry-info.js';

const DOC = join(import.meta.dirname, '../../../docs/metrics.md');

/** Rows of the metric tables in docs/metrics.md: | `name` | type | `l1`, `l2` | meaning | */
async function documented(): Promise<Map<string, { type: string; labels: string[]; meaning: string }>> {
  const out = new Map<string, { type: string; labels: string[]; meaning: string }>();
  for (const line of (await readFile(DOC, 'utf8')).split('\n')) {
    const m = /^\| `(nsvswitch_[a-z0-9_]+)` \| (\w+) \|([^|]*)\| (.*) \|$/.exec(line);
    if (!m) continue;
    const labels = [...m[3]!.matchAll(/`([a-z_]+)`/g)].map((x) => x[1]!);
    out.set(m[1]!, { type: m[2]!, labels, meaning: m[4]!.trim() });
  }
  return out;
}

describe('docs/metrics.md', () => {
  it('documents every metric in the registry, with its type and labels', async () => {
    const docs = await documented();
    const reg = await registryMetrics();
    expect(reg.size).toBeGreaterThan(20);
    const missing = [...reg.keys()].filter((n) => !docs.has(n));
    expect(missing, 'metrics missing from docs/metrics.md').toEqual([]);
    for (const [name, info] of reg) {
      const d = docs.get(name)!;
      expect(d.type, `${name}: type`).toBe(info.type);
      expect(d.labels.sort(), `${name}: labels`).toEqual([...info.labels].sort());
      expect(d.meaning.length, `${name}: meaning`).toBeGreaterThan(5);
    }
  });

  it('documents no metric that does not exist', async () => {
    const reg = await registryMetrics();
    const stale = [...(await documented()).keys()].filter((n) => !reg.has(n));
    expect(stale, 'documented but not in the registry').toEqual([]);
  });
});
