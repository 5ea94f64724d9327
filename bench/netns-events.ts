/**
 * Namespace discovery benchmark: how fast watchNamespaces$ reports real
 * namespaces, next to what creating them costs, in one run.
 *
 *   npx tsx bench/netns-events.ts [--sequential 200] [--burst 1000]
 *
 * - sequential: N namespaces one after another (`: > FILE` then `unshare
 *   --net=FILE true`, what `ip netns add` does); per namespace the creation
 *   time, the time from the end of creation (unshare exited, mount done) to
 *   the added event, and from the start of creation to the event.
 * - burst: N namespaces created by one process as fast as it can; the time
 *   from the start of creation to the last added event, next to the creation
 *   time itself, and the same for deleting them (last removed event).
 * All run three times: with inotify file hints and the mount table watched
 * (what the agent does with the native addon), with file hints only (the
 * re-check timer finds each mount), and with debounced full rescans only
 * (fileHints: false), counting directory listings and probes.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { bufferCount, filter, firstValueFrom, map, share, Subject, take, timeout, type Observable } from 'rxjs';
import { watchNamespaces$, nodeNetnsFs, type NetnsFs } from '../src/netns/index.js';
import { mountChanges$ } from '../src/netns/mount-changes.js';
import { silentLogger } from '../src/observe/logger.js';
import { loadNative } from '../src/native/native.js';
import type { NamespaceEvent } from '../src/netns/types.js';
import { PrivateNetnsDir } from '../src/sandbox/private-netns-dir.js';
import { run } from '../src/exec/run.js';
import { deferCleanup, installSignalCleanup, runAllCleanups } from './lib/cleanup.js';
import { machineInfo, publishResult } from './lib/results.js';
import type { Table } from './lib/table.js';
import { summarize, type Summary } from './lib/stats.js';

/** Longest wait for any one event before the bench calls it lost. */
const EVENT_TIMEOUT_MS = 60_000;

interface Counted {
  fs: NetnsFs;
  counts: { listDir: number; probe: number };
}

/** The real fs, counting what the source asks of it. */
function countingFs(): Counted {
  const real = nodeNetnsFs();
  const counts = { listDir: 0, probe: 0 };
  return {
    counts,
    fs: {
      ...real,
      listDir: (d) => (counts.listDir++, real.listDir(d)),
      probe: (p) => (counts.probe++, real.probe(p)),
    },
  };
}

interface ModeResult {
  readonly mode: string;
  readonly sequential: { creation: Summary; doneToEvent: Summary; startToEvent: Summary; listDir: number; probe: number };
  readonly burst: { n: number; createMs: number; createToLastAddedMs: number; deleteMs: number; deleteToLastRemovedMs: number; listDir: number; probe: number };
}

type Timed = NamespaceEvent & { readonly at: number };

const now = (): number => performance.timeOrigin + performance.now();

async function measureMode(mode: string, o: { fileHints: boolean; mountWatch: boolean }, dir: PrivateNetnsDir, nSeq: number, nBurst: number): Promise<ModeResult> {
  const { fs, counts } = countingFs();
  const events = new Subject<Timed>();
  const log: Timed[] = [];
  if (o.mountWatch && !loadNative().addon?.watchMounts) throw new Error(`${mode}: the native addon (watchMounts) is not loaded: ${loadNative().reason}`);
  const mounts = o.mountWatch ? { mountChanges$: mountChanges$(silentLogger()) } : {};
  const source$: Observable<NamespaceEvent> = watchNamespaces$({ dirs: [dir.dir], fs, fileHints: o.fileHints, ...mounts });
  const sub = source$.subscribe((e) => {
    const timed = { ...e, at: now() };
    log.push(timed);
    events.next(timed);
  });
  const stream$: Observable<Timed> = events.pipe(share());
  try {
    await new Promise((r) => setTimeout(r, 200)); // initial scan of the empty dir
    // Sequential creations.
    const creation: number[] = [];
    const doneToEvent: number[] = [];
    const startToEvent: number[] = [];
    counts.listDir = counts.probe = 0;
    for (let i = 0; i < nSeq; i++) {
      const name = `seq-${mode}-${i}`;
      const path = dir.path(name);
      const seen = firstValueFrom(stream$.pipe(filter((e) => e.type === 'added' && e.ns.path === path), take(1), timeout(EVENT_TIMEOUT_MS)));
      const t0 = now();
      await writeFile(path, '');
      await run('unshare', [`--net=${path}`, 'true']);
      const t1 = now();
      const ev = await seen;
      creation.push(t1 - t0);
      doneToEvent.push(ev.at - t1);
      startToEvent.push(ev.at - t0);
    }
    const seqCounts = { ...counts };
    await dir.remove(...(await dir.list()));
    await new Promise((r) => setTimeout(r, 300));

    // Burst.
    const names = Array.from({ length: nBurst }, (_, i) => `burst-${mode}-${i}`);
    const mine = (type: NamespaceEvent['type']) => (e: Timed) => e.type === type && e.ns.name.startsWith(`burst-${mode}-`);
    counts.listDir = counts.probe = 0;
    const allAdded = firstValueFrom(stream$.pipe(filter(mine('added')), bufferCount(nBurst), map((b) => b.at(-1)!.at), timeout(EVENT_TIMEOUT_MS)));
    const b0 = now();
    await dir.add(...names);
    const b1 = now();
    const lastAdded = await allAdded;
    const allRemoved = firstValueFrom(stream$.pipe(filter(mine('removed')), bufferCount(nBurst), map((b) => b.at(-1)!.at), timeout(EVENT_TIMEOUT_MS)));
    const d0 = now();
    await dir.remove(...names);
    const d1 = now();
    const lastRemoved = await allRemoved;
    // Nothing doubled: after a moment more, exactly one added and one removed per burst namespace.
    await new Promise((r) => setTimeout(r, 500));
    const burstEvents = log.filter((e) => e.ns.name.startsWith(`burst-${mode}-`));
    const uniq = new Set(burstEvents.map((e) => `${e.type} ${e.ns.name}`));
    if (burstEvents.length !== 2 * nBurst || uniq.size !== 2 * nBurst) throw new Error(`${mode}: ${burstEvents.length} burst events (${uniq.size} distinct), expected ${2 * nBurst}`);
    return {
      mode,
      sequential: { creation: summarize(creation), doneToEvent: summarize(doneToEvent), startToEvent: summarize(startToEvent), ...seqCounts },
      burst: { n: nBurst, createMs: b1 - b0, createToLastAddedMs: lastAdded - b0, deleteMs: d1 - d0, deleteToLastRemovedMs: lastRemoved - d0, ...counts },
    };
  } finally {
    sub.unsubscribe();
  }
}

const ms = (v: number): string => v.toFixed(1);

function tables(results: readonly ModeResult[], nSeq: number): Table[] {
  return [
    {
      title: `Sequential: ${nSeq} namespaces, one at a time (ms)`,
      headers: ['mode', 'creation p50', 'creation p99', 'done→event p50', 'done→event p99', 'start→event p50', 'start→event p99', 'event/creation (p50)', 'listings', 'probes'],
      rows: results.map((r) => {
        const s = r.sequential;
        return [r.mode, ms(s.creation.p50), ms(s.creation.p99), ms(s.doneToEvent.p50), ms(s.doneToEvent.p99), ms(s.startToEvent.p50), ms(s.startToEvent.p99), (s.startToEvent.p50 / s.creation.p50).toFixed(2), String(s.listDir), String(s.probe)];
      }),
      notes: [
        'creation = `: > FILE` + `unshare --net=FILE true` as the caller sees it (the `ip netns add` work)',
        'done→event = from unshare exiting (mount done) to the added event; ≤ 0 means the event beat the process exit',
      ],
    },
    {
      title: `Burst: ${results[0]?.burst.n ?? 0} namespaces created (then deleted) by one process (ms)`,
      headers: ['mode', 'create', 'start→last added', 'added/create', 'delete', 'start→last removed', 'removed/delete', 'listings', 'probes'],
      rows: results.map((r) => {
        const b = r.burst;
        return [r.mode, ms(b.createMs), ms(b.createToLastAddedMs), (b.createToLastAddedMs / b.createMs).toFixed(2), ms(b.deleteMs), ms(b.deleteToLastRemovedMs), (b.deleteToLastRemovedMs / b.deleteMs).toFixed(2), String(b.listDir), String(b.probe)];
      }),
      notes: ['a ratio of 1.00 means the last event came as the creating process finished: discovery kept up with creation'],
    },
  ];
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { sequential: { type: 'string', default: '200' }, burst: { type: 'string', default: '1000' } } });
  const nSeq = Number(values.sequential);
  const nBurst = Number(values.burst);
  installSignalCleanup();
  const startedAt = new Date().toISOString();
  const machine = await machineInfo();
  const dir = await PrivateNetnsDir.create(join(tmpdir(), `nsvs-bench-netns-${process.pid}-${randomBytes(3).toString('hex')}`));
  const undo = deferCleanup(`namespace dir ${dir.dir}`, () => dir.destroy());
  try {
    const results: ModeResult[] = [];
    results.push(await measureMode('file-hints+mount-watch', { fileHints: true, mountWatch: true }, dir, nSeq, nBurst));
    results.push(await measureMode('file-hints', { fileHints: true, mountWatch: false }, dir, nSeq, nBurst));
    results.push(await measureMode('rescan-only', { fileHints: false, mountWatch: false }, dir, nSeq, nBurst));
    const summary = tables(results, nSeq);
    await publishResult({ name: 'netns-events', startedAt, finishedAt: new Date().toISOString(), machine, params: { sequential: nSeq, burst: nBurst }, results, summary });
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
