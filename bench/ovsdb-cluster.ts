/**
 * OVSDB client on a 3-member Raft cluster, beside the python-ovs IDL (Debian
 * python3-openvswitch, leader_only=True), same cluster, same run.
 *
 *   npx tsx bench/ovsdb-cluster.ts [--rows 50000] [--small 1000] [--updates 200] [--runs 3]
 *
 * Scenarios (small test schema: one Item table; members on a unix socket and tcp 127.0.0.1):
 *   sync      a fresh client monitors the whole Item table of --rows rows: connect to first snapshot
 *   update    one-row updates (Item.n of one row) written by another client; the cost of applying
 *             each one in the measured client, at --small rows and at --rows rows. Ours: time in
 *             the monitor's notification handler (decode + apply; the frame's JSON.parse, O(update), is
 *             not in it); the IDL: time in the idl.run() calls that applied a change (read, parse, apply).
 *   failover  a writer inserts one row per transaction, without pause; the leader is SIGKILLed;
 *             time from the kill to the writer's first commit afterwards.
 * The IDL side is bench/ovsdb-idl.py, run with /usr/bin/python3 (the system interpreter that has the ovs module).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { OvsdbClient, OvsdbDisconnectedError, OvsdbOpError, ZERO_UUID, ovsSet, type Operation, type OvsdbMonitor } from '../src/ovsdb/index.js';
import { openSocket } from '../src/ovsdb/rpc/endpoint.js';
import { FrameScanner } from '../src/ovsdb/wire/frame-scanner.js';
import { RaftCluster, TEST_DB } from '../test/integration/ovsdb/raft-cluster.js';
import { deferCleanup, installSignalCleanup, runBench } from './lib/cleanup.js';
import { benchRoot } from './lib/sandbox.js';
import { machineInfo, publishResult } from './lib/results.js';
import type { Table } from './lib/table.js';
import { summarize, type Summary } from './lib/stats.js';

const PYTHON = '/usr/bin/python3';
const IDL_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'ovsdb-idl.py');
const UPDATED_ROW = 'u0';

/** A python IDL child: its stdout lines, and a kill by its own pid. */
class IdlChild {
  private readonly lines: string[] = [];
  private waiters: (() => void)[] = [];
  readonly proc: ChildProcessWithoutNullStreams;
  private readonly done: Promise<void>;
  private stderr = '';

  constructor(args: string[]) {
    this.proc = spawn(PYTHON, [IDL_SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.proc.stdout }).on('line', (l) => {
      this.lines.push(l);
      for (const w of this.waiters.splice(0)) w();
    });
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.done = new Promise((r) => this.proc.on('exit', () => {
      for (const w of this.waiters.splice(0)) w();
      r();
    }));
  }

  /** The first line (from the start) that satisfies pred. */
  async line(pred: (l: string) => boolean, timeoutMs = 120_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; ; ) {
      for (; i < this.lines.length; i++) if (pred(this.lines[i]!)) return this.lines[i]!;
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) throw new Error(`IDL child exited: ${this.stderr.slice(-500)}`);
      if (Date.now() > deadline) throw new Error(`IDL child: no expected line within ${timeoutMs} ms: ${this.stderr.slice(-500)}`);
      await Promise.race([new Promise<void>((r) => this.waiters.push(r)), sleep(200)]);
    }
  }

  async stop(): Promise<void> {
    const running = this.proc.exitCode === null && this.proc.signalCode === null;
    if (running && this.proc.pid !== undefined) process.kill(this.proc.pid, 'SIGTERM');
    await this.done;
  }
}

function insertOnce(name: string, n: number): Operation[] {
  return [
    { op: 'wait', table: 'Item', where: [['name', '==', name]], columns: ['name'], until: '==', rows: [], timeout: 0 },
    { op: 'insert', table: 'Item', row: { name, n } },
  ];
}

/** Fills Item up to `rows` rows (names r<i>), in idempotent chunks. */
async function fill(w: OvsdbClient, from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += 10_000) {
    const end = Math.min(to, start + 10_000);
    const ops: Operation[] = [{ op: 'wait', table: 'Item', where: [['name', '==', `r${start}`]], columns: ['name'], until: '==', rows: [], timeout: 0 }];
    for (let n = start; n < end; n++) ops.push({ op: 'insert', table: 'Item', row: { name: `r${n}`, n, tags: ovsSet(['fill']) } });
    for (let attempt = 0; ; attempt++) {
      try {
        await w.transact(TEST_DB, ops, { timeoutMs: 120_000 });
        break;
      } catch (err) {
        if (OvsdbOpError.is(err, 'timed out')) break;
        if (!(err instanceof OvsdbDisconnectedError) || attempt > 5) throw err;
      }
    }
  }
}

async function syncOurs(cluster: RaftCluster): Promise<{ ms: number; rows: number }> {
  const t0 = performance.now();
  const c = await OvsdbClient.connect(cluster.remotes, { requestTimeoutMs: 120_000 });
  const m = await c.monitor(TEST_DB, { Item: {} });
  const ms = performance.now() - t0;
  const rows = m.rows().get('Item')!.size;
  await c.close();
  return { ms, rows };
}

/**
 * The floor of a sync: the same monitor_cond_since request on a raw socket to
 * the leader, the reply only framed (not parsed, not decoded): the server's
 * time to build and send it.
 */
async function syncFloor(cluster: RaftCluster): Promise<{ ms: number; bytes: number }> {
  const leader = cluster.members[await cluster.leader()]!;
  const t0 = performance.now();
  const socket = await openSocket(leader.remote);
  try {
    return await new Promise((resolve, reject) => {
      let bytes = 0;
      const scanner = new FrameScanner(leader.remote, 1 << 30);
      socket.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        try {
          scanner.push(chunk, () => resolve({ ms: performance.now() - t0, bytes }));
        } catch (err) {
          reject(err as Error);
        }
      });
      socket.on('error', reject);
      socket.write(JSON.stringify({ id: 1, method: 'monitor_cond_since', params: [TEST_DB, 'floor', { Item: [{}] }, ZERO_UUID] }));
    });
  } finally {
    socket.destroy();
  }
}

async function syncIdl(cluster: RaftCluster): Promise<{ ms: number; rows: number }> {
  const child = new IdlChild(['sync', cluster.remotes, cluster.schemaFile]);
  try {
    return JSON.parse(await child.line((l) => l.startsWith('{'))) as { ms: number; rows: number };
  } finally {
    await child.stop();
  }
}

/** Sets Item u0's n to base+1 .. base+k, one transaction each, waiting for each reply. */
async function writeUpdates(w: OvsdbClient, base: number, k: number): Promise<number> {
  for (let i = 1; i <= k; i++) await w.transact(TEST_DB, [{ op: 'update', table: 'Item', where: [['name', '==', UPDATED_ROW]], row: { n: base + i } }]);
  return base + k;
}

async function updateOurs(cluster: RaftCluster, w: OvsdbClient, base: number, k: number): Promise<{ usPerUpdate: number; next: number }> {
  const c = await OvsdbClient.connect(cluster.remotes, { requestTimeoutMs: 120_000 });
  try {
    const m = await c.monitor(TEST_DB, { Item: {} });
    let busyMs = 0;
    let count = 0;
    // Time spent applying each update notification (decode + apply to the replica).
    const host = m as unknown as { onNotification: OvsdbMonitor['onNotification'] };
    const orig = host.onNotification.bind(m);
    host.onNotification = (method, params) => {
      const t0 = performance.now();
      orig(method, params);
      busyMs += performance.now() - t0;
      count++;
    };
    const next = await writeUpdates(w, base, k);
    await c.echo();
    const row = [...m.rows().get('Item')!.values()].find((r) => r.name === UPDATED_ROW);
    if (row?.n !== next) throw new Error(`our replica has n=${String(row?.n)}, not ${next}`);
    return { usPerUpdate: (busyMs * 1000) / count, next };
  } finally {
    await c.close();
  }
}

async function updateIdl(cluster: RaftCluster, w: OvsdbClient, base: number, k: number): Promise<{ usPerUpdate: number; next: number }> {
  const child = new IdlChild(['update', cluster.remotes, cluster.schemaFile, UPDATED_ROW, String(base + k)]);
  try {
    await child.line((l) => l === 'ready');
    const next = await writeUpdates(w, base, k);
    const r = JSON.parse(await child.line((l) => l.startsWith('{'))) as { updates: number; us_per_update: number };
    return { usPerUpdate: r.us_per_update, next };
  } finally {
    await child.stop();
  }
}

/** Restarts the killed member and waits until the cluster is whole again. */
async function heal(cluster: RaftCluster, killed: number): Promise<void> {
  await cluster.startMember(killed);
  for (const m of cluster.members) await cluster.waitConnected(m.index);
  await cluster.leader();
}

async function failoverOurs(cluster: RaftCluster, run: number): Promise<number> {
  const c = await OvsdbClient.connect(cluster.remotes, { holdMs: 20_000 });
  let stop = false;
  let killedAt = 0;
  let firstAfter = 0;
  const writer = (async () => {
    for (let i = 0; !stop; i++) {
      try {
        await c.transact(TEST_DB, insertOnce(`fo-ours-${run}-${i}`, i));
      } catch (err) {
        if (!(err instanceof OvsdbDisconnectedError) && !(OvsdbOpError.is(err, 'timed out'))) throw err;
        continue;
      }
      if (killedAt && !firstAfter) firstAfter = Date.now();
    }
  })();
  try {
    await sleep(300);
    const leader = await cluster.leader();
    await cluster.killMember(leader);
    killedAt = Date.now();
    while (!firstAfter && Date.now() - killedAt < 30_000) await sleep(5);
    stop = true;
    await writer;
    await heal(cluster, leader);
    if (!firstAfter) throw new Error('ours: no write within 30 s of the kill');
    return firstAfter - killedAt;
  } finally {
    stop = true;
    await c.close();
  }
}

async function failoverIdl(cluster: RaftCluster, run: number): Promise<number> {
  const child = new IdlChild(['write', cluster.remotes, cluster.schemaFile, `fo-idl-${run}-`]);
  try {
    await child.line((l) => l === 'ready');
    await sleep(300);
    const leader = await cluster.leader();
    await cluster.killMember(leader);
    const killedAt = Date.now();
    const first = await child.line((l) => l.startsWith('ok ') && Number(l.split(' ')[1]) > killedAt, 30_000);
    await child.stop();
    await heal(cluster, leader);
    return Number(first.split(' ')[1]) - killedAt;
  } finally {
    await child.stop();
  }
}

interface Results {
  readonly syncMs: { ours: Summary; idl: Summary; floor: Summary; replyBytes: number; speedup: number; clientSpeedup: number };
  readonly updateUs: { oursSmall: Summary; oursLarge: Summary; idlSmall: Summary; idlLarge: Summary; oursLargeVsSmall: number; idlLargeOverOursLarge: number };
  readonly failoverMs: { ours: Summary; idl: Summary; idlOverOurs: number };
}

async function main(): Promise<void> {
  installSignalCleanup();
  const { values } = parseArgs({ options: {
    rows: { type: 'string', default: '50000' }, small: { type: 'string', default: '1000' },
    updates: { type: 'string', default: '200' }, runs: { type: 'string', default: '3' },
  } });
  const rows = Number(values.rows);
  const small = Number(values.small);
  const k = Number(values.updates);
  const runs = Number(values.runs);
  const startedAt = new Date().toISOString();
  const machine = await machineInfo();
  const cluster = await RaftCluster.start('bench', { baseDir: benchRoot() });
  const stop = deferCleanup(`Raft cluster ${cluster.dir}`, () => cluster.stop());
  const w = await OvsdbClient.connect(cluster.remotes, { requestTimeoutMs: 120_000 });
  try {
    // Big transactions on 2 busy cores outlast the default 1 s election timer.
    await cluster.setElectionTimer(4_000);
    await w.transact(TEST_DB, insertOnce(UPDATED_ROW, 0));
    let n = 0;
    const upd = { oursSmall: [] as number[], oursLarge: [] as number[], idlSmall: [] as number[], idlLarge: [] as number[] };
    await fill(w, 0, small - 1);
    for (let r = 0; r < runs; r++) {
      const a = await updateOurs(cluster, w, n, k);
      n = a.next;
      upd.oursSmall.push(a.usPerUpdate);
      const b = await updateIdl(cluster, w, n, k);
      n = b.next;
      upd.idlSmall.push(b.usPerUpdate);
    }
    await fill(w, small - 1, rows - 1);
    // Let the members finish what the fill started (log compaction) before timing: one unmeasured sync.
    await syncOurs(cluster);
    const sync = { ours: [] as number[], idl: [] as number[], floor: [] as number[] };
    let replyBytes = 0;
    for (let r = 0; r < runs; r++) {
      const a = await syncOurs(cluster);
      const b = await syncIdl(cluster);
      const c = await syncFloor(cluster);
      if (a.rows !== rows || b.rows !== rows) throw new Error(`sync saw ${a.rows} (ours) and ${b.rows} (IDL) rows, not ${rows}`);
      sync.ours.push(a.ms);
      sync.idl.push(b.ms);
      sync.floor.push(c.ms);
      replyBytes = c.bytes;
    }
    for (let r = 0; r < runs; r++) {
      const a = await updateOurs(cluster, w, n, k);
      n = a.next;
      upd.oursLarge.push(a.usPerUpdate);
      const b = await updateIdl(cluster, w, n, k);
      n = b.next;
      upd.idlLarge.push(b.usPerUpdate);
    }
    await w.close();
    // Failover: back to the default election timer, as a cluster would run.
    await cluster.setElectionTimer(1_000);
    const fo = { ours: [] as number[], idl: [] as number[] };
    for (let r = 0; r < runs; r++) {
      fo.ours.push(await failoverOurs(cluster, r));
      fo.idl.push(await failoverIdl(cluster, r));
    }

    const x = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
    const s = { sync: { ours: summarize(sync.ours), idl: summarize(sync.idl), floor: summarize(sync.floor) }, fo: { ours: summarize(fo.ours), idl: summarize(fo.idl) } };
    const u = { oursSmall: summarize(upd.oursSmall), oursLarge: summarize(upd.oursLarge), idlSmall: summarize(upd.idlSmall), idlLarge: summarize(upd.idlLarge) };
    const results: Results = {
      syncMs: {
        ...s.sync, replyBytes, speedup: x(s.sync.idl.p50, s.sync.ours.p50),
        // Above the floor: what each client adds to the server's own time.
        clientSpeedup: x(s.sync.idl.p50 - s.sync.floor.p50, Math.max(1, s.sync.ours.p50 - s.sync.floor.p50)),
      },
      updateUs: { ...u, oursLargeVsSmall: x(u.oursLarge.p50, u.oursSmall.p50), idlLargeOverOursLarge: x(u.idlLarge.p50, u.oursLarge.p50) },
      failoverMs: { ...s.fo, idlOverOurs: x(s.fo.idl.p50, s.fo.ours.p50) },
    };
    const f0 = (v: number): string => v.toFixed(0);
    const sx = (v: number): string => `${v.toFixed(2)}x`;
    const summary: Table[] = [{
      title: `OVSDB client on a 3-member Raft cluster vs the python-ovs IDL (median of ${runs} runs; "IDL/ours" > 1: ours is faster)`,
      headers: ['measure', 'nsvswitch', 'python IDL', 'IDL/ours'],
      rows: [
        [`initial sync of ${rows} rows (ms)`, f0(s.sync.ours.p50), f0(s.sync.idl.p50), sx(results.syncMs.speedup)],
        [`  the same above the floor (ms)`, f0(s.sync.ours.p50 - s.sync.floor.p50), f0(s.sync.idl.p50 - s.sync.floor.p50), sx(results.syncMs.clientSpeedup)],
        [`one-row update at ${small} rows (µs)`, u.oursSmall.p50.toFixed(1), u.idlSmall.p50.toFixed(1), sx(x(u.idlSmall.p50, u.oursSmall.p50))],
        [`one-row update at ${rows} rows (µs)`, u.oursLarge.p50.toFixed(1), u.idlLarge.p50.toFixed(1), sx(results.updateUs.idlLargeOverOursLarge)],
        ['first write after the leader is SIGKILLed (ms)', f0(s.fo.ours.p50), f0(s.fo.idl.p50), sx(results.failoverMs.idlOverOurs)],
      ],
      notes: [
        `ours at ${rows} rows / ours at ${small} rows: ${sx(results.updateUs.oursLargeVsSmall)} (goal <= 2x)`,
        `sync floor: the same monitor_cond_since on a raw socket to the leader, reply framed but not parsed: ${f0(s.sync.floor.p50)} ms for ${(replyBytes / 1048576).toFixed(1)} MiB (the server's own time)`,
        `update cost: ours = time in the monitor's notification handler (decode + apply; the frame's JSON.parse is not in it); IDL = time in idl.run() calls that applied a change (read, parse, apply); ${k} updates per run`,
        'failover: election timer 1 s (the default); the writer inserts one row per transaction without pause; both sides leader-only with all three remotes',
        'sync and update runs alternate ours / IDL on the same cluster; the bulk fill ran with a 4 s election timer',
      ],
    }];
    await publishResult({ name: 'ovsdb-cluster', startedAt, finishedAt: new Date().toISOString(), machine, params: { rows, small, updates: k, runs }, results, summary });
  } finally {
    await w.close();
    await stop();
  }
}

runBench('bench/ovsdb-cluster', main);
