/**
 * Manifest validation cost: `nsvswitch validate` (the loader the agent runs on every manifest change)
 * for 100, 1,000 and 10,000 tenants, and the ratio between sizes: linear means the time ratio is close
 * to the input ratio (10). Also hostile files that used to stall the loader (alias bombs, a mapping
 * with 100,000 keys), which must now be refused in time proportional to their size.
 *
 *   npx tsx bench/validate.ts [--runs 5] [--sizes 100,1000,10000]
 *
 * In-process: `loadManifestPaths` (read, parse, per-file and cross-file rules), median of --runs after
 * one warm-up, wall and CPU time. CLI: one `node bin/nsvswitch.js validate DIR` per size (process start
 * included; through tsx when dist/ is older than src/).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { loadManifestPaths } from '../src/manifests/load-dir.js';
import { parseManifestText } from '../src/manifests/parse-manifest.js';
import { Composer, Parser } from 'yaml';
import { run } from '../src/exec/run.js';
import { deferCleanup, installSignalCleanup, isInterrupted, runBench } from './lib/cleanup.js';
import { benchRoot } from './lib/sandbox.js';
import { machineInfo, publishResult } from './lib/results.js';
import type { Table } from './lib/table.js';
import { summarize, type Summary } from './lib/stats.js';

/** `n` tenants, one YAML document each (about 150 bytes: 1.5 MB for 10,000). */
function tenants(n: number): string {
  const docs: string[] = [];
  for (let i = 0; i < n; i++) {
    const net = `10.${Math.floor(i / 256)}.${i % 256}`;
    docs.push(`apiVersion: nsvswitch/v1\nkind: Tenant\nmetadata: { name: t${i} }\nspec:\n  id: ${i + 1}\n  subnet: ${net}.0/24\n  gateway: ${net}.1\n  namespaces: ["t${i}-*"]\n`);
  }
  return docs.join('---\n');
}

interface SizeResult {
  readonly tenants: number;
  readonly bytes: number;
  readonly wallMs: Summary;
  readonly cpuMs: Summary;
  readonly cliMs: number;
  /**
   * The yaml package alone (CST + documents, nothing of ours), median wall ms: what reading cost before the
   * fast reader (src/manifests/yaml-fast.ts), and still costs for a file outside its subset.
   */
  readonly yamlOnlyMs: number;
}

interface HostileResult {
  readonly name: string;
  readonly bytes: number;
  readonly ms: number;
  readonly verdict: string;
}

function cpuMsSince(c0: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1000;
}

async function main(): Promise<void> {
  installSignalCleanup();
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, sizes: { type: 'string', default: '100,1000,10000' } } });
  const runs = Number(values.runs);
  const sizes = values.sizes.split(',').map(Number);
  const startedAt = new Date().toISOString();
  const machine = await machineInfo();
  const root = await mkdtemp(join(benchRoot(), 'nsvs-bench-validate-'));
  const cleanup = deferCleanup(`bench dir ${root}`, () => rm(root, { recursive: true, force: true }));
  try {
    const sizeResults: SizeResult[] = [];
    for (const n of sizes) {
      if (isInterrupted()) return;
      const dir = join(root, `t${n}`);
      await mkdir(dir, { mode: 0o755 });
      const text = tenants(n);
      await writeFile(join(dir, 'tenants.yaml'), text, { mode: 0o644 });
      const wall: number[] = [];
      const cpu: number[] = [];
      for (let r = 0; r <= runs && !isInterrupted(); r++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const set = await loadManifestPaths([dir]);
        const ms = performance.now() - t0;
        const cms = cpuMsSince(c0);
        if (set.tenants.size !== n || set.problems.length > 0) throw new Error(`${n} tenants: got ${set.tenants.size} tenants, ${set.problems.length} problems`);
        if (r > 0) {
          wall.push(ms);
          cpu.push(cms);
        }
      }
      const yamlMs: number[] = [];
      for (let r = 0; r <= runs && !isInterrupted(); r++) {
        const y0 = performance.now();
        let docs = 0;
        for (const _ of new Composer({ uniqueKeys: false }).compose(new Parser().parse(text))) docs++;
        if (docs !== n) throw new Error(`yaml read ${docs} documents of ${n}`);
        if (r > 0) yamlMs.push(performance.now() - y0);
      }
      const t0 = performance.now();
      const cli = await run(process.execPath, ['bin/nsvswitch.js', 'validate', dir], { timeoutMs: 600_000 });
      const cliMs = performance.now() - t0;
      if (cli.stdout !== `${n} tenant${n === 1 ? '' : 's'} in 1 file: OK\n`) throw new Error(`validate ${n}: ${cli.stdout}`);
      sizeResults.push({ tenants: n, bytes: Buffer.byteLength(text), wallMs: summarize(wall), cpuMs: summarize(cpu), cliMs, yamlOnlyMs: summarize(yamlMs).p50 });
      process.stderr.write(`${n} tenants: ${summarize(wall).p50.toFixed(0)} ms in-process, ${cliMs.toFixed(0)} ms CLI\n`);
    }

    const hostile: HostileResult[] = [];
    const cases: [string, string][] = [
      ['20,000 aliases of one anchor', `a: &x [1, 2]\nb: [${Array(20_000).fill('*x').join(', ')}]\n`],
      ['200,000 aliases of one anchor', `a: &x [1, 2]\nb: [${Array(200_000).fill('*x').join(', ')}]\n`],
      ['one mapping with 100,000 keys', Array.from({ length: 100_000 }, (_, i) => `k${i}: ${i}`).join('\n')],
      ['20,000 empty documents', '---\n'.repeat(20_000)],
    ];
    for (const [name, text] of cases) {
      if (isInterrupted()) return;
      const t0 = performance.now();
      const r = parseManifestText('hostile.yaml', text);
      hostile.push({ name, bytes: Buffer.byteLength(text), ms: performance.now() - t0, verdict: r.problems[0]?.message.slice(0, 60) ?? 'accepted' });
    }

    const ratios = sizeResults.slice(1).map((s, i) => {
      const prev = sizeResults[i]!;
      return { from: prev.tenants, to: s.tenants, inputRatio: s.bytes / prev.bytes, wallRatio: s.wallMs.p50 / prev.wallMs.p50, cpuRatio: s.cpuMs.p50 / prev.cpuMs.p50 };
    });
    const f = (v: number): string => v.toFixed(0);
    const kb = (b: number): string => (b >= 1024 * 1024 ? `${(b / (1024 * 1024)).toFixed(2)} MiB` : `${(b / 1024).toFixed(0)} KiB`);
    const summary: Table[] = [
      {
        title: `nsvswitch validate: one file of N tenants (in-process median of ${runs} runs after a warm-up, ms; CLI: one process)`,
        headers: ['tenants', 'file', 'wall p50', 'cpu p50', 'wall max', 'µs/tenant', 'yaml alone', 'CLI wall'],
        rows: sizeResults.map((s) => [String(s.tenants), kb(s.bytes), f(s.wallMs.p50), f(s.cpuMs.p50), f(s.wallMs.max), (1000 * s.wallMs.p50 / s.tenants).toFixed(0), f(s.yamlOnlyMs), f(s.cliMs)]),
        notes: [
          ...ratios.map((r) => `${r.from} → ${r.to} tenants: input ×${r.inputRatio.toFixed(1)}, wall ×${r.wallRatio.toFixed(1)}, cpu ×${r.cpuRatio.toFixed(1)} (linear: about ×${r.inputRatio.toFixed(0)})`),
          `load average at start: ${machine.loadAvg1m.toFixed(2)} on ${machine.cpus} CPUs; "yaml alone": the yaml package reading the same file (no validation): what reading cost before the fast reader, and still costs for a file outside its subset (anchors, block scalars, escapes...)`,
        ],
      },
      {
        title: 'hostile files (parse + validate, one run, ms)',
        headers: ['file', 'size', 'ms', 'verdict'],
        rows: hostile.map((h) => [h.name, kb(h.bytes), f(h.ms), h.verdict]),
      },
    ];
    await publishResult({ name: 'validate', startedAt, finishedAt: new Date().toISOString(), machine, params: { runs, sizes }, results: { sizes: sizeResults, ratios, hostile }, summary });
  } finally {
    await cleanup();
  }
}

runBench('bench/validate', main);
