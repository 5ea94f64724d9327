/**
 * `npm run bench`: runs every benchmark script in bench/ (one process each,
 * one after another so they never compete for the CPU), then prints one
 * summary from bench/results/*.json.
 *
 *   npm run bench [-- --only burst,flows] [-- --list]
 *   npm run bench -- --report [--markdown]   (no runs: summarize bench/results as it is)
 */
import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readResults, RESULTS_DIR } from './lib/results.js';
import { renderBenchSection } from './lib/summary.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
/** Cheap, narrow benches first; the long burst last. Others follow alphabetically. */
const PREFERRED_ORDER = ['ovsdb-transactions', 'netns-events', 'flows', 'burst'];

/** Benchmark names (file names without .ts) in run order. */
export function orderBenches(names: readonly string[]): string[] {
  const rank = (n: string): number => {
    const i = PREFERRED_ORDER.indexOf(n);
    return i < 0 ? PREFERRED_ORDER.length : i;
  };
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

async function discover(): Promise<string[]> {
  const files = await readdir(BENCH_DIR);
  return orderBenches(files.filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.d.ts')).map((f) => basename(f, '.ts')));
}

let interrupted = false;

function runBench(name: string): Promise<number> {
  return new Promise((resolve) => {
    // Each bench handles Ctrl-C itself (the terminal signals the whole group); this waits for it to clean up.
    const child = spawn(process.execPath, ['--import', 'tsx', join(BENCH_DIR, `${name}.ts`)], { stdio: 'inherit', cwd: dirname(BENCH_DIR) });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    child.once('error', () => resolve(127));
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      list: { type: 'boolean', default: false },
      report: { type: 'boolean', default: false },
      markdown: { type: 'boolean', default: false },
    },
  });
  const all = await discover();
  if (values.list) {
    process.stdout.write(`${all.join('\n')}\n`);
    return 0;
  }
  const wanted = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = (wanted ?? []).filter((w) => !all.includes(w));
  if (unknown.length) {
    process.stderr.write(`bench: unknown benchmark(s) ${unknown.join(', ')} (known: ${all.join(', ')})\n`);
    return 2;
  }
  const chosen = wanted ? all.filter((n) => wanted.includes(n)) : all;
  process.on('SIGINT', () => void (interrupted = true));
  process.on('SIGTERM', () => void (interrupted = true));

  const statuses = new Map<string, { code: number; ms: number; startedMs: number }>();
  for (const name of values.report ? [] : chosen) {
    if (interrupted) break;
    process.stderr.write(`\n### bench ${name}\n`);
    const startedMs = Date.now();
    const code = await runBench(name);
    statuses.set(name, { code, ms: Date.now() - startedMs, startedMs });
  }

  const results = await readResults();
  const sections: string[] = [];
  for (const name of chosen) {
    const s = statuses.get(name);
    const file = join(RESULTS_DIR, `${name}.json`);
    const r = results.find((x) => x.file === file);
    const mtime = r ? (await stat(file)).mtimeMs : 0;
    const status = values.report ? (r ? 'from bench/results' : 'no result file') : s === undefined ? 'not run (interrupted)' : `${s.code === 0 ? 'ok' : `exit ${s.code}`} in ${(s.ms / 1000).toFixed(1)} s`;
    const fresh = values.report || (s !== undefined && mtime >= s.startedMs);
    sections.push(renderBenchSection({ name, status, ...(r?.result ? { result: r.result } : {}), ...(r?.error ? { error: r.error } : {}), fresh, markdown: values.markdown }));
  }
  process.stdout.write(`\n# Benchmark summary\n\n${sections.join('\n')}`);
  const failed = [...statuses.values()].some((s) => s.code !== 0);
  return interrupted ? 130 : failed ? 1 : 0;
}

// Only when run as a script: the ordering helper is imported by unit tests.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
