/**
 * Memory: the agent's resident set idle (no namespaces), at N ports, and
 * after each of R rounds of create-N / delete-N, read from the kernel by pid
 * (/proc/PID/status VmRSS) and from the agent's own /metrics (RSS, V8 heap).
 *
 *   npx tsx bench/memory.ts [--n 1000] [--rounds 5] [--quick] [--settle-ms 3000]
 *     [--timeout-s S] [--agent-bin PATH]
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchNames } from './lib/addresses.js';
import { AgentBench } from './lib/agent-bench.js';
import { privateAgentBuild } from './lib/agent-build.js';
import { agentStages } from './lib/agent-stages.js';
import { installSignalCleanup, isInterrupted, runBench } from './lib/cleanup.js';
import { formatMiB, formatMs, formatRatio, ratio } from './lib/format.js';
import { benchSize, quickMode } from './lib/quick.js';
import { machineInfo, publishResult } from './lib/results.js';
import type { Table } from './lib/table.js';
import { nowMs, withTimeout } from './lib/timing.js';

const BRIDGE = 'br-bench';
/** Issue 8's goal: under 150 MB (10^6 bytes) resident at 1000 ports. */
const GOAL_RSS_BYTES = 150e6;
/** Issue 18's: at most 100 MB. */
const GOAL_RSS_BYTES_18 = 100e6;

interface Sample {
  readonly phase: string;
  readonly ports: number;
  /** VmRSS / VmHWM from /proc/PID/status. */
  readonly vmRss: number;
  readonly vmHwm: number;
  readonly heapUsed?: number;
  readonly heapTotal?: number;
  readonly external?: number;
  /** Garbage collections the agent asked for after a burst so far (nsvswitch_heap_settle_seconds_count). */
  readonly settles?: number;
  /** How long the step before the sample took (create to all ready, delete to all rows gone). */
  readonly stepMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mb = (b: number | undefined): string => (b === undefined ? 'n/a' : `${(b / 1e6).toFixed(1)} MB`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string' },
      rounds: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'settle-ms': { type: 'string', default: '3000' },
      'timeout-s': { type: 'string' },
      'agent-bin': { type: 'string' },
    },
  });
  const quick = quickMode(values.quick);
  const n = benchSize(values.n, quick, { full: 1000, quick: 50 });
  const rounds = benchSize(values.rounds, quick, { full: 5, quick: 2 }, '--rounds');
  const settleMs = Number(values['settle-ms']);
  if (!(settleMs >= 0)) throw new Error('--settle-ms must be >= 0');
  const stepTimeoutMs = values['timeout-s'] !== undefined ? benchSize(values['timeout-s'], false, { full: 1, quick: 1 }, '--timeout-s') * 1000 : 120_000 + n * 500;
  installSignalCleanup();

  const startedAt = new Date().toISOString();
  const machine = await machineInfo();
  const t0 = Date.now();
  const log = (msg: string): void => void process.stderr.write(`[memory +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
  log(`${machine.cpus} CPUs, load ${machine.loadAvg1m.toFixed(2)}; n=${n}, ${rounds} rounds${quick ? ' (quick)' : ''}`);
  const entry = await privateAgentBuild(log, values['agent-bin'] !== undefined ? resolve(values['agent-bin']) : undefined);
  log(`agent: ${entry.note}`);

  const bench = await AgentBench.create({ label: 'memory-nsvs', bridge: BRIDGE, agentBin: entry.bin });
  const samples: Sample[] = [];
  let processName = '';
  let errors = 0;
  try {
    await withTimeout('memory bench', (async () => {
      const st = await bench.startAgent();
      log(`agent pid ${st.agent.pid ?? '?'} ready in ${formatMs(st.readyAt - st.spawnedAt)}`);
      const first = await bench.scrape();
      const sample = async (phase: string, ports: number, stepMs?: number): Promise<void> => {
        await sleep(settleMs);
        const m = await bench.memory();
        if (!m) throw new Error(`agent pid ${bench.agent?.pid ?? '?'}: /proc status unreadable (agent gone?)`);
        processName = m.name;
        const s = await bench.scrape();
        const opt = (field: 'heapUsed' | 'heapTotal' | 'external', metric: string): Partial<Sample> => {
          const v = s.get(`nsvswitch_nodejs_${metric}`);
          return v === undefined ? {} : { [field]: v };
        };
        samples.push({
          phase, ports, vmRss: m.vmRss, vmHwm: m.vmHwm,
          ...opt('heapUsed', 'heap_size_used_bytes'), ...opt('heapTotal', 'heap_size_total_bytes'), ...opt('external', 'external_memory_bytes'),
          ...(s.get('nsvswitch_heap_settle_seconds_count') !== undefined ? { settles: s.get('nsvswitch_heap_settle_seconds_count') } : {}),
          ...(stepMs !== undefined ? { stepMs } : {}),
        });
        log(`${phase}: RSS ${formatMiB(m.vmRss)} (peak ${formatMiB(m.vmHwm)})`);
      };
      await sample('idle (no namespaces)', 0);
      for (let r = 1; r <= rounds && !isInterrupted(); r++) {
        const names = benchNames(`bench-r${r}-`, n);
        const c0 = nowMs();
        const paths = await bench.sb.netnsDir.add(...names);
        const up = await bench.waitReady(`round ${r}: ${n} ports ready`, paths, stepTimeoutMs);
        await sample(`round ${r}: ${n} ports`, n, up - c0);
        const d0 = nowMs();
        await bench.sb.netnsDir.remove(...names);
        const gone = await bench.waitGone(`round ${r}: ${n} ports removed`, paths, stepTimeoutMs);
        await sample(`round ${r}: all deleted`, 0, gone - d0);
      }
      errors = agentStages(first, await bench.scrape()).reconcileErrors;
    })(), (stepTimeoutMs * 2 + settleMs * 2) * (rounds + 1) + 120_000);
  } finally {
    await bench.stop();
    await entry.dispose();
  }
  if (isInterrupted()) return 130;

  const idle = samples[0];
  const atN = samples.filter((s) => s.ports === n);
  const afterDelete = samples.filter((s, i) => i > 0 && s.ports === 0);
  const maxAtN = Math.max(...atN.map((s) => s.vmRss));
  const growthAtN = atN.length >= 2 ? (atN.at(-1)?.vmRss ?? 0) - (atN[0]?.vmRss ?? 0) : undefined;
  const growthDeleted = afterDelete.length >= 2 ? (afterDelete.at(-1)?.vmRss ?? 0) - (afterDelete[0]?.vmRss ?? 0) : undefined;
  const heapGrowth = afterDelete.length >= 2 && afterDelete[0]?.heapUsed !== undefined && afterDelete.at(-1)?.heapUsed !== undefined ? (afterDelete.at(-1)?.heapUsed ?? 0) - (afterDelete[0]?.heapUsed ?? 0) : undefined;
  const signed = (b: number | undefined): string => (b === undefined ? 'n/a' : `${b >= 0 ? '+' : '-'}${formatMiB(Math.abs(b))}`);
  const table: Table = {
    title: `Agent memory: idle, at ${n} ports, ${rounds} rounds of create-${n}/delete-${n}`,
    headers: ['phase', 'RSS (VmRSS)', 'RSS peak (VmHWM)', 'V8 heap used', 'V8 heap total', 'external', 'heap settles', 'step took'],
    rows: samples.map((s) => [s.phase, formatMiB(s.vmRss), formatMiB(s.vmHwm), formatMiB(s.heapUsed), formatMiB(s.heapTotal), formatMiB(s.external), s.settles !== undefined ? String(s.settles) : 'n/a', s.stepMs !== undefined ? formatMs(s.stepMs) : '']),
    notes: [
      `goal: RSS < 150 MB at ${n} ports; max measured ${mb(maxAtN)} (${formatMiB(maxAtN)}) = ${formatRatio(ratio(maxAtN, GOAL_RSS_BYTES))} of the goal; idle ${mb(idle?.vmRss)}`,
      `issue 18: RSS <= 100 MB at ${n} ports: ${atN.filter((s) => s.vmRss <= GOAL_RSS_BYTES_18).length} of ${atN.length} rounds; the worst ${formatRatio(ratio(maxAtN, GOAL_RSS_BYTES_18))}`,
      `growth over the rounds: at ${n} ports ${signed(growthAtN)} (round ${rounds} vs 1), after delete ${signed(growthDeleted)}, V8 heap used after delete ${signed(heapGrowth)}`,
      `Antrea's and OVN's agents are reported at 500-800 MB (reported, not measured here)`,
      `sampled ${settleMs} ms after each step; process ${processName} (pid of the agent's node, ${entry.kind}); ${errors} reconcile errors`,
    ],
  };
  const summary = [table];
  await publishResult({
    name: 'memory',
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    params: { n, rounds, quick, settleMs, bridge: BRIDGE, datapathType: 'netdev', agent: { kind: entry.kind, note: entry.note }, goalRssBytes: GOAL_RSS_BYTES, goalRssBytes18: GOAL_RSS_BYTES_18 },
    results: { samples, maxRssAtN: maxAtN, growthAtN, growthAfterDelete: growthDeleted, heapGrowthAfterDelete: heapGrowth, reconcileErrors: errors, ratioToGoal: ratio(maxAtN, GOAL_RSS_BYTES), ratioToGoal18: ratio(maxAtN, GOAL_RSS_BYTES_18) },
    summary,
  });
  // A missed goal is a finding, not a failed bench: the table says it.
  return 0;
}

runBench('memory', main);
