/**
 * Restart: N ports plugged by the agent, then the agent is stopped (SIGTERM)
 * and a new process started, R times. Per restart: time from the spawn to
 * /readyz 200, and the new process's OVSDB writes and flow-mods (goal: 0 and
 * 0), at ready and after a settle period. Before the first and after the
 * last restart, everything the agent made is read from outside (host veth
 * ifindexes, each namespace's interface, address and MAC, the OVSDB rows,
 * the flows and their ages) and compared. Paired with the same agent's
 * start on an empty bridge (the floor of a start).
 *
 *   npx tsx bench/restart.ts [--n 1000] [--quick] [--restarts 3] [--settle-ms 5000]
 *     [--timeout-s S] [--agent-bin PATH]
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HOST_IF_PREFIX } from '../src/core/names.js';
import { benchNames } from './lib/addresses.js';
import { AgentBench } from './lib/agent-bench.js';
import { privateAgentBuild } from './lib/agent-build.js';
import { agentStages, type AgentStages } from './lib/agent-stages.js';
import { AGENT_IF_NAME } from './lib/burst/nsvswitch.js';
import { installSignalCleanup, isInterrupted, runBench } from './lib/cleanup.js';
import { formatMiB, formatMs, formatRatio, ratio } from './lib/format.js';
import { diffSnapshots, plumbingSnapshot, type SnapshotDiff } from './lib/plumbing-snapshot.js';
import type { PromSamples } from './lib/prom-text.js';
import { benchSize, quickMode } from './lib/quick.js';
import { machineInfo, publishResult } from './lib/results.js';
import { summarize } from './lib/stats.js';
import type { Table } from './lib/table.js';
import { nowMs, withTimeout } from './lib/timing.js';

const BRIDGE = 'br-bench';

interface Restart {
  readonly stopMs: number;
  readonly toReadyMs: number;
  readonly atReady: AgentStages;
  readonly afterSettle: AgentStages;
  readonly rssAfterSettle?: number;
}

const EMPTY: PromSamples = new Map();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string' },
      quick: { type: 'boolean', default: false },
      restarts: { type: 'string' },
      'settle-ms': { type: 'string', default: '5000' },
      'timeout-s': { type: 'string' },
      'agent-bin': { type: 'string' },
    },
  });
  const quick = quickMode(values.quick);
  const n = benchSize(values.n, quick, { full: 1000, quick: 50 });
  const restarts = benchSize(values.restarts, quick, { full: 3, quick: 1 }, '--restarts');
  const settleMs = Number(values['settle-ms']);
  if (!(settleMs >= 0)) throw new Error('--settle-ms must be >= 0');
  const timeoutMs = values['timeout-s'] !== undefined ? benchSize(values['timeout-s'], false, { full: 1, quick: 1 }, '--timeout-s') * 1000 : 600_000 + n * 600 * (restarts + 1);
  installSignalCleanup();

  const startedAt = new Date().toISOString();
  const machine = await machineInfo();
  const t0 = Date.now();
  const log = (msg: string): void => void process.stderr.write(`[restart +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
  log(`${machine.cpus} CPUs, load ${machine.loadAvg1m.toFixed(2)}; n=${n}, ${restarts} restart(s)${quick ? ' (quick)' : ''}`);
  const entry = await privateAgentBuild(log, values['agent-bin'] !== undefined ? resolve(values['agent-bin']) : undefined);
  log(`agent: ${entry.note}`);

  const bench = await AgentBench.create({ label: 'restart-nsvs', bridge: BRIDGE, agentBin: entry.bin });
  const runs: Restart[] = [];
  let emptyStartMs = 0;
  let plugMs = 0;
  let diff: SnapshotDiff | undefined;
  let oldestFlowAgeS = 0;
  let youngFlows = 0;
  let restartWindowS = 0;
  let ports = 0;
  let flowCount = 0;
  try {
    await withTimeout('restart bench', (async () => {
      const first = await bench.startAgent();
      emptyStartMs = first.readyAt - first.spawnedAt;
      log(`agent pid ${first.agent.pid ?? '?'} ready on an empty bridge in ${formatMs(emptyStartMs)}; plugging ${n} namespaces`);
      const p0 = nowMs();
      const paths = await bench.sb.netnsDir.add(...benchNames('bench-', n));
      const allReady = await bench.waitReady(`${n} ports ready`, paths, timeoutMs);
      plugMs = allReady - p0;
      log(`${n} ports ready in ${formatMs(plugMs)}; letting the agent settle`);
      await sleep(settleMs);

      const snap = (): ReturnType<typeof plumbingSnapshot> => plumbingSnapshot({
        hostNetns: bench.sb.hostNetns, hostPrefix: HOST_IF_PREFIX, nsPaths: paths, ifName: AGENT_IF_NAME,
        replica: bench.monitor.replica, bridge: BRIDGE, env: bench.sb.env,
      });
      const before = await snap();
      ports = before.hostLinks.size;
      flowCount = before.flows.length;
      log(`snapshot: ${before.hostLinks.size} host veths, ${[...before.inside.values()].filter(Boolean).length} namespace interfaces, ${before.rows.size} Interface rows, ${before.flows.length} flows`);
      const windowStart = nowMs();

      for (let k = 1; k <= restarts && !isInterrupted(); k++) {
        const s0 = nowMs();
        await bench.stopAgent();
        const stopMs = nowMs() - s0;
        const st = await bench.startAgent();
        const toReadyMs = st.readyAt - st.spawnedAt;
        const atReady = agentStages(EMPTY, await bench.scrape());
        await sleep(settleMs);
        const settled = await bench.scrape();
        const afterSettle = agentStages(EMPTY, settled);
        const rssAfterSettle = settled.get('nsvswitch_process_resident_memory_bytes');
        runs.push({ stopMs, toReadyMs, atReady, afterSettle, ...(rssAfterSettle !== undefined ? { rssAfterSettle } : {}) });
        log(`restart ${k}: stop ${formatMs(stopMs)}, spawn to /readyz 200 ${formatMs(toReadyMs)}; OVSDB writes ${afterSettle.ovsdbWrites}, flow-mods ${afterSettle.flowMods} (after ${settleMs} ms)`);
      }
      if (isInterrupted()) return;
      const after = await snap();
      restartWindowS = (nowMs() - windowStart) / 1000;
      diff = diffSnapshots(before, after);
      oldestFlowAgeS = Math.max(...after.flowAgesS.filter(Number.isFinite));
      // A flow younger than the restart window was (re-)added during it.
      youngFlows = after.flowAgesS.filter((a) => a < restartWindowS - 1).length;
    })(), timeoutMs * 2);
  } finally {
    await bench.stop();
    await entry.dispose();
  }
  if (isInterrupted()) return 130;

  const ready = summarize(runs.map((r) => r.toReadyMs));
  const zeroWrites = runs.every((r) => r.afterSettle.ovsdbWrites === 0);
  const zeroMods = runs.every((r) => r.afterSettle.flowMods === 0);
  const d = diff;
  const restartTable: Table = {
    title: `Restart with ${n} ports in place (SIGTERM, new process), ${runs.length} time(s)`,
    headers: ['restart', 'stop (drain)', 'spawn to /readyz 200', 'OVSDB writes (at ready / +settle)', 'flow-mods', 'OVSDB reads', 'spawns', 'passes', 'RSS'],
    rows: runs.map((r, i) => [
      String(i + 1),
      formatMs(r.stopMs),
      formatMs(r.toReadyMs),
      `${r.atReady.ovsdbWrites} / ${r.afterSettle.ovsdbWrites}`,
      `${r.atReady.flowMods} / ${r.afterSettle.flowMods}`,
      String(r.afterSettle.ovsdbReads),
      Object.entries(r.afterSettle.spawnsByProgram).filter(([, v]) => v > 0).map(([p, v]) => `${p} ${v}`).join(', ') || '0',
      String(r.afterSettle.passes),
      formatMiB(r.rssAfterSettle),
    ]),
    notes: [
      `goal: 0 OVSDB writes and 0 flow-mods: ${zeroWrites && zeroMods ? 'met' : 'MISSED'} (counted by the new process's own metrics, ${settleMs} ms after ready)`,
      `time to ready p50 ${formatMs(ready.p50)}, max ${formatMs(ready.max)}; the same agent on an empty bridge: ${formatMs(emptyStartMs)} (ratio ${formatRatio(ratio(ready.p50, emptyStartMs))})`,
      `plugging the ${n} ports first took ${formatMs(plugMs)} (burst from creation); agent: ${entry.kind}`,
    ],
  };
  const disturbance: Table = {
    title: 'Read from outside, before the first and after the last restart',
    headers: ['check', 'count'],
    rows: d
      ? [
          ['host veths (ports) compared', String(ports)],
          ['veths re-created (ifindex changed), host side', String(d.hostLinksRecreated)],
          ['veths re-created (ifindex changed), namespace side', String(d.insideRecreated)],
          ['veths missing after', String(d.hostLinksMissing + d.insideMissing)],
          ['addresses changed', String(d.addressesChanged)],
          ['MACs changed', String(d.macsChanged)],
          ['Interface rows changed / added / removed', `${d.rowsChanged} / ${d.rowsAdded} / ${d.rowsRemoved}`],
          ['flows compared', String(flowCount)],
          ['flows added / removed', `${d.flowsAdded} / ${d.flowsRemoved}`],
          [`flows younger than the restart window (${restartWindowS.toFixed(0)} s)`, String(youngFlows)],
        ]
      : [],
    notes: d?.examples.length ? d.examples : [`oldest flow ${oldestFlowAgeS.toFixed(0)} s old: nothing was re-installed`],
  };
  const summary = [restartTable, disturbance];
  const disturbed = d === undefined || Object.entries(d).some(([k, v]) => k !== 'examples' && typeof v === 'number' && v > 0) || youngFlows > 0;
  await publishResult({
    name: 'restart',
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    params: { n, quick, restarts, settleMs, bridge: BRIDGE, datapathType: 'netdev', agent: { kind: entry.kind, note: entry.note } },
    results: { emptyStartMs, plugMs, restarts: runs, toReady: ready, goals: { zeroOvsdbWrites: zeroWrites, zeroFlowMods: zeroMods }, disturbance: d, youngFlows, restartWindowS, oldestFlowAgeS },
    summary,
  });
  return zeroWrites && zeroMods && !disturbed ? 0 : 2;
}

runBench('restart', main);
