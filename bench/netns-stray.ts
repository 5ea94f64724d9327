/**
 * Stray files benchmark (issue 12): how long a real namespace waits to be
 * reported when a watched directory holds many files that are not namespaces.
 *
 *   npx tsx bench/netns-stray.ts [--strays 0,1000,10000] [--rounds 5]
 *
 * Each round, for each count N: a fresh watchNamespaces$ (default options) on
 * an empty private namespace directory; N plain files are written into it (100
 * at a time), and right after them one real namespace is created (`: > FILE`
 * then `unshare --net=FILE true`, what `ip netns add` does). Measured:
 * - right after: from the end of the mount (unshare exited) to the added event;
 * - settled: once the stray files were given up on (the bulk warning), a
 *   second namespace, the same way: the cost of stray files that stay;
 * - the longest event-loop stall of the process meanwhile (what an HTTP request
 *   to the agent would wait), the source's CPU time, its listings and probes,
 *   and how many stray-file warnings it logged.
 */
import { rm, writeFile } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { filter, firstValueFrom, map, Subject, take, timeout } from 'rxjs';
import { pino } from 'pino';
import { watchNamespaces$, nodeNetnsFs, type NetnsFs } from '../src/netns/index.js';
import { PrivateNetnsDir } from '../src/sandbox/private-netns-dir.js';
import { run } from '../src/exec/run.js';
import { deferCleanup, installSignalCleanup, runAllCleanups } from './lib/cleanup.js';
import { machineInfo, publishResult } from './lib/results.js';
import type { Table } from './lib/table.js';
import { summarize, type Summary } from './lib/stats.js';

/** Longest wait for the event or the warning before the bench calls it lost (the bug was 242 s). */
const WAIT_MS = 300_000;

interface Round {
  readonly strays: number;
  readonly round: number;
  /** Writing the N stray files. */
  readonly writeMs: number;
  /** Mount done → added event, namespace created right after the stray files. */
  readonly delayMs: number;
  /** Same, for a namespace created once the stray files were given up on. */
  readonly settledDelayMs: number;
  /** Longest event-loop stall from the first stray file to the settled event. */
  readonly loopMaxMs: number;
  /** CPU time of the process (user + system) over the same span, minus nothing: the writes are in it too. */
  readonly cpuMs: number;
  readonly listDir: number;
  readonly probe: number;
  /** Stray-file warnings logged (one bulk warning expected; 0 when there are none). */
  readonly warnings: number;
  /** Files the warnings counted. */
  readonly warnedFiles: number;
}

interface Aggregate {
  readonly strays: number;
  readonly delay: Summary;
  readonly settledDelay: Summary;
  readonly loopMax: Summary;
  readonly cpu: Summary;
  readonly probes: Summary;
  readonly warnings: readonly number[];
}

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function inChunks(names: readonly string[], f: (name: string) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < names.length; i += 100) await Promise.all(names.slice(i, i + 100).map(f));
}

async function measureRound(dir: PrivateNetnsDir, strays: number, round: number): Promise<Round> {
  const real = nodeNetnsFs();
  const counts = { listDir: 0, probe: 0 };
  const fs: NetnsFs = { ...real, listDir: (d) => (counts.listDir++, real.listDir(d)), probe: (p) => (counts.probe++, real.probe(p)) };
  const warned: number[] = [];
  const logger = pino({ level: 'warn' }, {
    write: (line: string) => {
      const rec = JSON.parse(line) as { err?: { type?: string }; count?: number };
      if (rec.err?.type === 'NamespaceNotMountedError') warned.push(rec.count ?? 0);
    },
  });
  const added = new Subject<{ path: string; at: number }>();
  let scanned = false;
  const sub = watchNamespaces$({ dirs: [dir.dir], fs, logger, onInitialScan: () => void (scanned = true) }).subscribe((e) => {
    if (e.type === 'added') added.next({ path: e.ns.path, at: now() });
  });
  const names = Array.from({ length: strays }, (_, i) => `stray-${round}-${i}`);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  try {
    while (!scanned) await sleep(10);
    const createNs = async (name: string): Promise<number> => {
      const path = dir.path(name);
      const seen = firstValueFrom(added.pipe(filter((e) => e.path === path), take(1), map((e) => e.at), timeout(WAIT_MS)));
      await writeFile(path, '');
      await run('unshare', [`--net=${path}`, 'true']);
      const mounted = now();
      return (await seen) - mounted;
    };
    counts.listDir = counts.probe = 0;
    loop.enable();
    const cpu0 = process.cpuUsage();
    const w0 = now();
    await inChunks(names, (n) => writeFile(dir.path(n), ''));
    const writeMs = now() - w0;
    const delayMs = await createNs(`real-${round}`);
    if (strays > 0) {
      const deadline = now() + WAIT_MS;
      while (warned.length === 0 && now() < deadline) await sleep(50);
      if (warned.length === 0) throw new Error(`${strays} strays: no stray-file warning within ${WAIT_MS} ms`);
    }
    const settledDelayMs = await createNs(`settled-${round}`);
    const cpu = process.cpuUsage(cpu0);
    loop.disable();
    return {
      strays, round, writeMs, delayMs, settledDelayMs, loopMaxMs: loop.max / 1e6, cpuMs: (cpu.user + cpu.system) / 1000,
      ...counts, warnings: warned.length, warnedFiles: warned.reduce((a, b) => a + b, 0),
    };
  } finally {
    loop.disable();
    sub.unsubscribe();
    await inChunks(names, (n) => rm(dir.path(n), { force: true }));
    await dir.remove(`real-${round}`, `settled-${round}`);
  }
}

const ms = (v: number): string => (v < 10 ? v.toFixed(1) : v.toFixed(0));

function tables(aggs: readonly Aggregate[], rounds: number): Table[] {
  return [{
    title: `Discovery delay of one namespace with N stray files in the directory (${rounds} rounds, ms)`,
    headers: ['stray files', 'right after p50', 'right after max', 'settled p50', 'settled max', 'loop stall max', 'CPU / round', 'probes / round', 'warnings / round'],
    rows: aggs.map((a) => [
      String(a.strays), ms(a.delay.p50), ms(a.delay.max), ms(a.settledDelay.p50), ms(a.settledDelay.max),
      ms(a.loopMax.max), ms(a.cpu.p50), String(Math.round(a.probes.p50)), [...new Set(a.warnings)].join('/'),
    ]),
    notes: [
      'right after = the namespace is created as soon as the N files are written; from the mount done (unshare exited) to the added event',
      'settled = a second namespace once the stray files were given up on (readinessMaxWaitMs, 10 s) and reported',
      'loop stall = longest event-loop delay of the process while it all happened (an HTTP request would wait as long)',
      'CPU / round includes writing the stray files (same process); issue 12 measured 242 s right after 10,000 before the fix',
    ],
  }];
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { strays: { type: 'string', default: '0,1000,10000' }, rounds: { type: 'string', default: '5' } } });
  const counts = values.strays.split(',').map(Number);
  const rounds = Number(values.rounds);
  installSignalCleanup();
  const startedAt = new Date().toISOString();
  const machine = await machineInfo();
  const dir = await PrivateNetnsDir.create(join(tmpdir(), `nsvs-bench-stray-${process.pid}-${randomBytes(3).toString('hex')}`));
  const undo = deferCleanup(`namespace dir ${dir.dir}`, () => dir.destroy());
  try {
    const results: Round[] = [];
    // Interleaved (0, 1000, 10000, 0, ...) so that a slow moment of the machine does not land on one count only.
    for (let r = 0; r < rounds; r++) {
      for (const n of counts) {
        const res = await measureRound(dir, n, r);
        results.push(res);
        process.stderr.write(`round ${r} strays ${n}: right after ${ms(res.delayMs)} ms, settled ${ms(res.settledDelayMs)} ms, loop max ${ms(res.loopMaxMs)} ms, ${res.probe} probes, ${res.warnings} warning(s) for ${res.warnedFiles} files\n`);
      }
    }
    const aggs: Aggregate[] = counts.map((n) => {
      const rs = results.filter((x) => x.strays === n);
      return {
        strays: n, delay: summarize(rs.map((x) => x.delayMs)), settledDelay: summarize(rs.map((x) => x.settledDelayMs)),
        loopMax: summarize(rs.map((x) => x.loopMaxMs)), cpu: summarize(rs.map((x) => x.cpuMs)), probes: summarize(rs.map((x) => x.probe)),
        warnings: rs.map((x) => x.warnings),
      };
    });
    const summary = tables(aggs, rounds);
    await publishResult({ name: 'netns-stray', startedAt, finishedAt: new Date().toISOString(), machine, params: { strays: counts, rounds }, results: { rounds: results, aggregates: aggs }, summary });
    return 0;
  } finally {
    await undo();
    await runAllCleanups();
  }
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    await runAllCleanups();
    process.exit(1);
  },
);
