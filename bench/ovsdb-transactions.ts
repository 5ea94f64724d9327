/**
 * OVSDB write benchmark: our RFC 7047 client next to ovs-vsctl, on the same
 * private ovsdb-server, in the same run.
 *
 *   npx tsx bench/ovsdb-transactions.ts [--ports 1000] [--runs 3] [--vsctl-sample 100]
 *
 * Scenarios (each starts from an empty database):
 *   bulk    a bridge and N ports (Port + Interface rows) in one transaction;
 *           peers: one `ovs-vsctl add-br -- add-port ... ` batch, and one
 *           ovs-vsctl process per operation (add-br, then add-port each).
 *   single  N transactions of one port each (insert Interface + Port, add to
 *           Bridge.ports) on one connection, sequentially and pipelined;
 *           peers: one ovs-vsctl process per add-port, and one batch.
 * One process per operation is measured on the first --vsctl-sample ports and
 * scaled to N: the first ports are the cheapest (ovs-vsctl reads the tables it
 * touches, which grow), so the scaled figure flatters ovs-vsctl.
 * ovs-vswitchd is not running: every side writes with --no-wait semantics (no
 * next_cfg bump, no wait for cur_cfg), so this measures OVSDB writes only and
 * no tap devices are created for the N internal ports.
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { OvsSandbox } from '../src/sandbox/ovs-sandbox.js';
import { run } from '../src/exec/run.js';
import { OvsdbClient, Txn, byUuid, cond, mutation, ovsSet, type Operation } from '../src/ovsdb/index.js';
import { deferCleanup, installSignalCleanup, isInterrupted, runBench } from './lib/cleanup.js';
import { benchRoot } from './lib/sandbox.js';
import { machineInfo, publishResult } from './lib/results.js';
import type { Table } from './lib/table.js';
import { summarize, type Summary } from './lib/stats.js';

const BRIDGE = 'br-bench';
const DB = 'Open_vSwitch';

const portName = (i: number): string => `bp${i}`;

/** Interface + Port for one port, referenced by named-uuid from the bridge (or from a mutate). */
function addPortOps(t: Txn, i: number) {
  const iface = t.insert('Interface', { name: portName(i), type: 'internal' });
  return t.insert('Port', { name: portName(i), interfaces: iface });
}

interface Sample {
  bulkOurs: number;
  bulkBatch: number;
  bulkPerOp: number;
  singleOurs: number;
  singlePipelined: number;
  singleBatch: number;
  singlePerOp: number;
}

interface Results {
  readonly ms: Record<keyof Sample, Summary>;
  /** How many times faster we are: peer / ours, on medians. */
  readonly speedup: {
    bulkVsBatch: number; bulkVsPerOp: number;
    singleVsPerOp: number; singleVsBatch: number;
    pipelinedVsPerOp: number; pipelinedVsBatch: number;
  };
  readonly perOpMsPerProcess: Summary;
  readonly perSingleTxnMs: number;
  readonly connectMs: number;
}

async function main(): Promise<void> {
  installSignalCleanup();
  const { values } = parseArgs({ options: { ports: { type: 'string', default: '1000' }, runs: { type: 'string', default: '3' }, 'vsctl-sample': { type: 'string', default: '100' } } });
  const n = Number(values.ports);
  const runs = Number(values.runs);
  const sample = Math.min(n, Number(values['vsctl-sample']));
  const startedAt = new Date().toISOString();
  const machine = await machineInfo();
  const sb = await OvsSandbox.start({ label: 'bench-ovsdb', baseDir: benchRoot(), vswitchd: false });
  const stop = deferCleanup(`OVS sandbox ${sb.dir}`, () => sb.stop());
  let client: OvsdbClient | undefined;
  try {
    const vsctl = (args: string[]) => run('ovs-vsctl', [`--db=${sb.dbEndpoint}`, '--no-wait', '--timeout=120', ...args], { env: sb.env, timeoutMs: 300_000 });
    const t0 = performance.now();
    client = await OvsdbClient.connect(sb.dbEndpoint, { requestTimeoutMs: 120_000 });
    const connectMs = performance.now() - t0;
    const c = client;
    const rootUuid = async (): Promise<string> => {
      const r = await c.transact(DB, [{ op: 'select', table: DB, where: [], columns: ['_uuid'] }]);
      return (r[0]!.rows![0]!._uuid as readonly [string, string])[1];
    };
    const reset = async (): Promise<void> => {
      await vsctl(['--if-exists', 'del-br', BRIDGE]);
    };
    const countPorts = async (): Promise<number> => {
      const r = await c.transact(DB, [{ op: 'select', table: 'Bridge', where: [cond('name', '==', BRIDGE)], columns: ['ports'] }]);
      const ports = r[0]!.rows![0]?.ports;
      return Array.isArray(ports) && ports[0] === 'set' ? (ports[1] as unknown[]).length : ports === undefined ? 0 : 1;
    };
    const expectPorts = async (what: string, want: number): Promise<void> => {
      const got = await countPorts();
      if (got !== want) throw new Error(`${what}: bridge ${BRIDGE} has ${got} ports, expected ${want}`);
    };
    const timed = async (fn: () => Promise<unknown>): Promise<number> => {
      const s = performance.now();
      await fn();
      return performance.now() - s;
    };
    // Every add-port of one ovs-vsctl batch; `first` drops the leading "--" when nothing precedes them.
    const batchArgs = (first: boolean): string[] =>
      Array.from({ length: n }, (_, i) => ['--', 'add-port', BRIDGE, portName(i), '--', 'set', 'Interface', portName(i), 'type=internal']).flat().slice(first ? 1 : 0);

    const samples: Sample[] = [];
    const perProcess: number[] = [];
    for (let r = 0; r < runs && !isInterrupted(); r++) {
      // --- bulk: bridge + N ports in one transaction ---
      await reset();
      const root = await rootUuid();
      const bulkOurs = await timed(async () => {
        const t = new Txn();
        const ports = Array.from({ length: n }, (_, i) => addPortOps(t, i));
        const bi = t.insert('Interface', { name: BRIDGE, type: 'internal' });
        const bp = t.insert('Port', { name: BRIDGE, interfaces: bi });
        const b = t.insert('Bridge', { name: BRIDGE, datapath_type: 'netdev', ports: ovsSet([bp, ...ports]) });
        t.mutate(DB, [byUuid(root)], [mutation('bridges', 'insert', ovsSet([b]))]);
        await c.transact(DB, t.ops());
      });
      await expectPorts('bulk ours', n + 1);

      await reset();
      const bulkBatch = await timed(() => vsctl(['add-br', BRIDGE, '--', 'set', 'Bridge', BRIDGE, 'datapath_type=netdev', ...batchArgs(false)]));
      await expectPorts('bulk batch', n + 1);

      await reset();
      const addBr = await timed(() => vsctl(['add-br', BRIDGE, '--', 'set', 'Bridge', BRIDGE, 'datapath_type=netdev']));
      const perOp: number[] = [];
      for (let i = 0; i < sample; i++) perOp.push(await timed(() => vsctl(['add-port', BRIDGE, portName(i), '--', 'set', 'Interface', portName(i), 'type=internal'])));
      await expectPorts('per-op sample', sample + 1);
      perProcess.push(...perOp);
      const perOpMean = perOp.reduce((a, b) => a + b, 0) / perOp.length;
      const bulkPerOp = addBr + perOpMean * n;

      // --- single: N one-port transactions on one connection ---
      const single = async (pipelined: boolean): Promise<number> => {
        await reset();
        await vsctl(['add-br', BRIDGE, '--', 'set', 'Bridge', BRIDGE, 'datapath_type=netdev']);
        const sel = await c.transact(DB, [{ op: 'select', table: 'Bridge', where: [cond('name', '==', BRIDGE)], columns: ['_uuid'] }]);
        const bridge = (sel[0]!.rows![0]!._uuid as readonly [string, string])[1];
        const one = (i: number): Operation[] => {
          const t = new Txn();
          const p = addPortOps(t, i);
          t.mutate('Bridge', [byUuid(bridge)], [mutation('ports', 'insert', ovsSet([p]))]);
          return t.ops();
        };
        const ms = await timed(async () => {
          if (pipelined) await Promise.all(Array.from({ length: n }, (_, i) => c.transact(DB, one(i))));
          else for (let i = 0; i < n; i++) await c.transact(DB, one(i));
        });
        await expectPorts(pipelined ? 'single pipelined' : 'single sequential', n + 1);
        return ms;
      };
      const singleOurs = await single(false);
      const singlePipelined = await single(true);

      await reset();
      await vsctl(['add-br', BRIDGE, '--', 'set', 'Bridge', BRIDGE, 'datapath_type=netdev']);
      const singleBatch = await timed(() => vsctl(batchArgs(true)));
      await expectPorts('single batch', n + 1);
      // One process per add-port on an existing bridge: the sample above, scaled.
      const singlePerOp = perOpMean * n;

      samples.push({ bulkOurs, bulkBatch, bulkPerOp, singleOurs, singlePipelined, singleBatch, singlePerOp });
      process.stderr.write(`run ${r + 1}/${runs}: bulk ours ${bulkOurs.toFixed(0)} ms, batch ${bulkBatch.toFixed(0)} ms, per-op ~${bulkPerOp.toFixed(0)} ms; `
        + `single ours ${singleOurs.toFixed(0)} ms (pipelined ${singlePipelined.toFixed(0)}), per-op ~${singlePerOp.toFixed(0)} ms, batch ${singleBatch.toFixed(0)} ms\n`);
    }
    if (isInterrupted() || samples.length === 0) return;
    await reset();

    const ms = Object.fromEntries((Object.keys(samples[0]!) as (keyof Sample)[]).map((k) => [k, summarize(samples.map((s) => s[k]))])) as Record<keyof Sample, Summary>;
    const x = (peer: number, ours: number): number => peer / ours;
    const results: Results = {
      ms,
      speedup: {
        bulkVsBatch: x(ms.bulkBatch.p50, ms.bulkOurs.p50),
        bulkVsPerOp: x(ms.bulkPerOp.p50, ms.bulkOurs.p50),
        singleVsPerOp: x(ms.singlePerOp.p50, ms.singleOurs.p50),
        singleVsBatch: x(ms.singleBatch.p50, ms.singleOurs.p50),
        pipelinedVsPerOp: x(ms.singlePerOp.p50, ms.singlePipelined.p50),
        pipelinedVsBatch: x(ms.singleBatch.p50, ms.singlePipelined.p50),
      },
      perOpMsPerProcess: summarize(perProcess),
      perSingleTxnMs: ms.singleOurs.p50 / n,
      connectMs,
    };
    const f = (v: number): string => v.toFixed(0);
    const sx = (v: number): string => `${v.toFixed(1)}x`;
    const summary: Table[] = [
      {
        title: `OVSDB writes, ${n} ports (Port + Interface rows), ovsdb-server only (median of ${runs} runs, ms; "x" = how many times faster nsvswitch is)`,
        headers: ['operation', 'nsvswitch client', 'ovs-vsctl per op', 'ovs-vsctl batch', 'vs per op', 'vs batch'],
        rows: [
          [`bridge + ${n} ports, one transaction`, f(ms.bulkOurs.p50), `~${f(ms.bulkPerOp.p50)}`, f(ms.bulkBatch.p50), sx(results.speedup.bulkVsPerOp), sx(results.speedup.bulkVsBatch)],
          [`${n} one-port transactions, sequential`, f(ms.singleOurs.p50), `~${f(ms.singlePerOp.p50)}`, f(ms.singleBatch.p50), sx(results.speedup.singleVsPerOp), sx(results.speedup.singleVsBatch)],
          [`${n} one-port transactions, pipelined`, f(ms.singlePipelined.p50), `~${f(ms.singlePerOp.p50)}`, f(ms.singleBatch.p50), sx(results.speedup.pipelinedVsPerOp), sx(results.speedup.pipelinedVsBatch)],
        ],
        notes: [
          `ovs-vsctl per op: ${sample} processes measured (median ${results.perOpMsPerProcess.p50.toFixed(1)} ms each) and scaled to ${n}; the first ports are the cheapest, so this flatters ovs-vsctl`,
          `one-port transaction: ${results.perSingleTxnMs.toFixed(2)} ms each on one connection (connect once: ${connectMs.toFixed(1)} ms, not counted)`,
          'ovs-vswitchd not running: no side waits for cur_cfg (ovs-vsctl --no-wait); the ovs-vsctl batch is one process with every add-port in one transaction',
        ],
      },
    ];
    await publishResult({ name: 'ovsdb-transactions', startedAt, finishedAt: new Date().toISOString(), machine, params: { ports: n, runs, vsctlSample: sample, vswitchd: false }, results, summary });
  } finally {
    await client?.close();
    await stop();
  }
}

runBench('bench/ovsdb-transactions', main);
