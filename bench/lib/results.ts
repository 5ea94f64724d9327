import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/exec/run.js';
import { renderTable, type Table } from './table.js';

/** bench/results, next to the bench scripts (independent of the caller's cwd). */
export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** What the machine was, so figures from different runs are never compared blindly. */
export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryMiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly ovs: string;
  readonly commit: string;
  /** 1-minute load average when the bench started: other work on the machine skews figures. */
  readonly loadAvg1m: number;
}

/** The file every bench writes to bench/results/<name>.json; `summary` is what `npm run bench` prints. */
export interface BenchResult<T = unknown> {
  readonly name: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: MachineInfo;
  readonly params: Readonly<Record<string, unknown>>;
  readonly results: T;
  readonly summary: readonly Table[];
}

async function firstLine(file: string, args: string[]): Promise<string> {
  try {
    return (await run(file, args, { timeoutMs: 10_000 })).stdout.split('\n')[0]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function machineInfo(): Promise<MachineInfo> {
  const cpuList = cpus();
  return {
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    memoryMiB: Math.round(totalmem() / (1024 * 1024)),
    kernel: release(),
    node: process.version,
    ovs: await firstLine('ovs-vsctl', ['--version']),
    commit: await firstLine('git', ['-C', dirname(RESULTS_DIR), 'rev-parse', '--short', 'HEAD']),
    loadAvg1m: loadavg()[0] ?? 0,
  };
}

/** Writes bench/results/<name>.json atomically (tmp + rename), so a crash never leaves half a file. */
export async function writeResult<T>(result: BenchResult<T>, dir = RESULTS_DIR): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${result.name}.json`);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(result, null, 2)}\n`);
  await rename(tmp, file);
  return file;
}

/**
 * Writes the result (writeResult) and prints its tables and where it went; `write: false` (an interrupted
 * run) only prints.
 */
export async function publishResult<T>(result: BenchResult<T>, opts: { readonly write?: boolean; readonly dir?: string } = {}): Promise<string | undefined> {
  const file = opts.write === false ? undefined : await writeResult(result, opts.dir);
  for (const t of result.summary) process.stdout.write(`\n${renderTable(t)}`);
  if (file !== undefined) process.stdout.write(`\nresults: ${file}\n`);
  return file;
}

/** Every result file in the dir, parsed; unreadable ones are returned as errors, not thrown. */
export async function readResults(dir = RESULTS_DIR): Promise<{ file: string; result?: BenchResult; error?: string }[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
  return Promise.all(
    names.map(async (n) => {
      const file = join(dir, n);
      try {
        return { file, result: JSON.parse(await readFile(file, 'utf8')) as BenchResult };
      } catch (err) {
        return { file, error: String(err) };
      }
    }),
  );
}
