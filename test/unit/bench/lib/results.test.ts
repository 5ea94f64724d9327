import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { publishResult, type BenchResult } from '../../../../bench/lib/results.js';

const result: BenchResult<{ x: number }> = {
  name: 'unit', startedAt: 'a', finishedAt: 'b',
  machine: { cpus: 2, cpuModel: 'm', memoryMiB: 1, kernel: 'k', node: 'v20', ovs: 'o', commit: 'c', loadAvg1m: 0 },
  params: {}, results: { x: 1 },
  summary: [{ title: 'T', headers: ['a', 'b'], rows: [['1', '2']] }],
};

afterEach(() => vi.restoreAllMocks());

describe('publishResult', () => {
  it('writes the result file, then prints its tables and where it went', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nsvs-results-'));
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0);
    try {
      const file = await publishResult(result, { dir });
      expect(file).toBe(join(dir, 'unit.json'));
      expect(JSON.parse(await readFile(file!, 'utf8'))).toEqual(result);
      expect(out.join('')).toContain('T');
      expect(out.at(-1)).toBe(`\nresults: ${file}\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('only prints when told not to write (an interrupted run)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nsvs-results-'));
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0);
    try {
      expect(await publishResult(result, { dir, write: false })).toBeUndefined();
      expect(await readdir(dir)).toEqual([]);
      expect(out.join('')).toContain('T');
      expect(out.join('')).not.toContain('results:');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
