/**
 * Attach latency: N namespaces created one at a time (create, wait until its
 * port carries the ready marker, pause, next), from creation start to ready;
 * paired in the same run with the single-namespace floor (the same work by
 * hand, fewest processes). Where the agent's time goes comes from its own
 * metrics, scraped after every namespace (outside the timed window).
 *
 *   npx tsx bench/latency.ts [--n 200] [--quick] [--gap-ms 100] [--floor-n N]
 *     [--preload P] [--timeout-s 30] [--totals-only] [--agent-bin PATH] [--plumbing native,process]
 *
 * --plumbing runs the series once per agent plumbing mode, in the same run:
 * native (in-process rtnetlink; the agent refuses to start without the addon) beside process
 * (ip and nsenter processes); the first mode gets the stage breakdown.
 *
 * --preload P plugs P namespaces (one burst) before the series: the attach
 * latency of a bridge that already carries P ports (the floor's bridge gets
 * P ports with their flows too).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchNames } from './lib/addresses.js';
import { AgentBench } from './lib/agent-bench.js';
import { privateAgentBuild } from './lib/agent-build.js';
import { agentStages, histogramQuantileBound, type AgentStages } from './lib/agent-stages.js';
import { installSignalCleanup, isInterrupted, runAllCleanups, runBench } from './lib/cleanup.js';
import { formatMs, formatRatio, ratio } from './lib/format.js';
import type { PromSamples } from './lib/prom-text.js';
import { benchSize, quickMode } from './lib/quick.js';
import { machineInfo, publishResult } from './lib/results.js';
import { FLOOR_STEPS, singleAttachFloor, type FloorAttach } from './lib/single-attach-floor.js';
import { summarize, type Summary } from './lib/stats.js';
import type { Table } from './lib/table.js';
import { nowMs, withTimeout } from './lib/timing.js';

const BRIDGE = 'br-bench';
/** The agent's pass stages (nsvswitch_reconcile_stage_seconds), in pass order. */
const PASS_STAGES = ['plan', 'remove', 'gateways', 'plug', 'record', 'ofports', 'early-flows', 'flows', 'ready', 'seal'] as const;
/** The issue's goal: p50 attach latency under this on a 2-core machine. */
const GOAL_P50_MS = 25;

/** One agent series: its plumbing mode, the attaches, and the agent's metrics around them. */
interface Series {
  readonly mode: string;
  readonly attaches: readonly Attach[];
  readonly before: PromSamples;
  readonly after: PromSamples;
  readonly agentStart: number;
}

interface Attach {
  readonly creationMs: number;
  readonly totalMs: number;
  /** Stage figures of this namespace (agent metrics between the scrape before and after it). */
  readonly stages?: AgentStages;
}

function stageRow(label: string, values: readonly number[], unit: 'ms' | 'count'): string[] {
  const s = summarize(values);
  const f = (v: number): string => (unit === 'ms' ? formatMs(v) : v.toFixed(2));
  return [label, f(s.mean), f(s.p50), f(s.p95), f(s.max)];
}

function latencyRow(label: string, s: Summary): string[] {
  return [label, String(s.count), formatMs(s.p50), formatMs(s.p95), formatMs(s.p99), formatMs(s.mean), formatMs(s.max)];
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'gap-ms': { type: 'string', default: '100' },
      'floor-n': { type: 'string' },
      preload: { type: 'string', default: '0' },
      'timeout-s': { type: 'string', default: '30' },
      'totals-only': { type: 'boolean', default: false },
      'agent-bin': { type: 'string' },
      plumbing: { type: 'string', default: 'native,process' },
    },
  });
  const modes = [...new Set((values.plumbing ?? '').split(',').map((m) => m.trim()).filter((m) => m !== ''))];
  if (modes.length === 0 || modes.some((m) => !['auto', 'native', 'process'].includes(m))) throw new Error('--plumbing: a comma-separated list of auto, native, process');
  const quick = quickMode(values.quick);
  const n = benchSize(values.n, quick, { full: 200, quick: 20 });
  const floorN = benchSize(values['floor-n'], quick, { full: n, quick: Math.min(n, 20) }, '--floor-n');
  const gapMs = Number(values['gap-ms']);
  const perNsTimeoutMs = Number(values['timeout-s']) * 1000;
  if (!(gapMs >= 0) || !(perNsTimeoutMs > 0)) throw new Error('--gap-ms must be >= 0 and --timeout-s > 0');
  const perNs = !values['totals-only'];
  const preload = values.preload === '0' ? 0 : benchSize(values.preload, false, { full: 0, quick: 0 }, '--preload');
  installSignalCleanup();

  const startedAt = new Date().toISOString();
  const machine = await machineInfo();
  const t0 = Date.now();
  const log = (msg: string): void => void process.stderr.write(`[latency +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
  log(`${machine.cpus} CPUs, load ${machine.loadAvg1m.toFixed(2)}; n=${n}${quick ? ' (quick)' : ''}, gap ${gapMs} ms`);
  const entry = await privateAgentBuild(log, values['agent-bin'] !== undefined ? resolve(values['agent-bin']) : undefined);
  log(`agent: ${entry.note}`);

  // Whole-run budget: generous per namespace, so only a hang hits it.
  const budgetMs = 120_000 + n * (perNsTimeoutMs + gapMs + 2_000) + preload * 500;
  // One series per plumbing mode, each with a fresh OVS sandbox and agent.
  const runSeries = async (mode: string): Promise<Series> => {
    const bench = await AgentBench.create({ label: `latency-nsvs-${mode}`, bridge: BRIDGE, agentBin: entry.bin, agentArgs: ['--plumbing', mode] });
    const attaches: Attach[] = [];
    let before: PromSamples;
    let after: PromSamples;
    let agentStart: number;
    try {
      const started = await bench.startAgent();
      agentStart = started.readyAt - started.spawnedAt;
      log(`plumbing ${mode}: agent pid ${started.agent.pid ?? '?'} ready in ${formatMs(agentStart)}`);
      if (preload > 0) {
        const p0 = nowMs();
        const pre = await bench.sb.netnsDir.add(...benchNames('bench-pre-', preload));
        await bench.waitReady(`${preload} preloaded ports ready`, pre, 120_000 + preload * 500);
        log(`${preload} ports preloaded in ${formatMs(nowMs() - p0)}`);
      }
      await new Promise((r) => setTimeout(r, 1000));
      before = await bench.scrape();
      let prev = before;
      await withTimeout(`latency: ${n} sequential namespaces (plumbing ${mode})`, (async () => {
        for (const name of benchNames('bench-', n)) {
          if (isInterrupted()) return;
          const a0 = nowMs();
          const [path] = await bench.sb.netnsDir.add(name);
          const created = nowMs();
          const ready = await bench.waitReady(`namespace ${name} ready`, [path as string], perNsTimeoutMs);
          const attach: Attach = { creationMs: created - a0, totalMs: ready - a0 };
          if (perNs) {
            const now = await bench.scrape();
            attaches.push({ ...attach, stages: agentStages(prev, now) });
            prev = now;
          } else {
            attaches.push(attach);
          }
          if (attaches.length % 50 === 0) log(`plumbing ${mode} ${attaches.length}/${n}: last ${formatMs(attach.totalMs)}`);
          if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
        }
      })(), budgetMs);
      await new Promise((r) => setTimeout(r, 500));
      after = await bench.scrape();
    } finally {
      await bench.stop();
    }
    return { mode, attaches, before, after, agentStart };
  };
  const series: Series[] = [];
  for (const mode of modes) {
    if (isInterrupted()) break;
    series.push(await runSeries(mode));
  }
  const first = series[0];
  if (isInterrupted() || !first) return 130;
  const { attaches, before, after, agentStart } = first;

  log(`floor: ${floorN} namespaces one at a time`);
  let floor: FloorAttach[] = [];
  let floorError: string | undefined;
  try {
    floor = await withTimeout('latency floor', singleAttachFloor({ n: floorN, bridge: BRIDGE, gapMs, timeoutMs: perNsTimeoutMs, log, preload }), 120_000 + floorN * (perNsTimeoutMs + gapMs) + preload * 500);
  } catch (err) {
    floorError = err instanceof Error ? err.message : String(err);
    log(`floor failed: ${floorError}`);
    await runAllCleanups(log);
  }
  await entry.dispose();
  if (isInterrupted()) return 130;

  const total = summarize(attaches.map((a) => a.totalMs));
  const creation = summarize(attaches.map((a) => a.creationMs));
  const beyond = summarize(attaches.map((a) => a.totalMs - a.creationMs));
  const floorTotal = floor.length ? summarize(floor.map((f) => f.totalMs)) : undefined;
  const floorBeyond = floor.length ? summarize(floor.map((f) => f.totalMs - f.creationMs)) : undefined;
  const whole = agentStages(before, after);
  const agentP50 = histogramQuantileBound(before, after, 'nsvswitch_attach_latency_seconds', 0.5);
  const agentP95 = histogramQuantileBound(before, after, 'nsvswitch_attach_latency_seconds', 0.95);
  const agentMean = (() => {
    const c = (after.get('nsvswitch_attach_latency_seconds_count') ?? 0) - (before.get('nsvswitch_attach_latency_seconds_count') ?? 0);
    const s = (after.get('nsvswitch_attach_latency_seconds_sum') ?? 0) - (before.get('nsvswitch_attach_latency_seconds_sum') ?? 0);
    return c > 0 ? (s / c) * 1000 : undefined;
  })();
  const bound = (v: number | undefined): string => (v === undefined ? 'n/a' : `<= ${formatMs(v * 1000)}`);

  const latencyTable: Table = {
    title: `Attach latency: ${n} namespaces one at a time, creation start to ready (${gapMs} ms pause between${preload > 0 ? `; ${preload} ports already on the bridge` : ''})`,
    headers: ['what', 'count', 'p50', 'p95', 'p99', 'mean', 'max'],
    rows: [
      latencyRow(`nsvswitch (plumbing ${first.mode}): creation to ready marker`, total),
      latencyRow('  of which namespace creation (unshare)', creation),
      latencyRow('  beyond creation (agent share, approx.)', beyond),
      ...series.slice(1).flatMap((o) => [
        latencyRow(`nsvswitch (plumbing ${o.mode}): creation to ready marker`, summarize(o.attaches.map((a) => a.totalMs))),
        latencyRow('  beyond creation (agent share, approx.)', summarize(o.attaches.map((a) => a.totalMs - a.creationMs))),
      ]),
      ...(floorTotal && floorBeyond ? [latencyRow('floor: creation to flows in (by hand)', floorTotal), latencyRow('  floor beyond creation', floorBeyond)] : []),
    ],
    notes: [
      `goal: p50 < ${GOAL_P50_MS} ms; measured p50 ${formatMs(total.p50)} = ${formatRatio(ratio(total.p50, GOAL_P50_MS))} of the goal`,
      `nsvswitch / floor (p50): ${formatRatio(ratio(total.p50, floorTotal?.p50))}; beyond creation: ${formatRatio(ratio(beyond.p50, floorBeyond?.p50))}`,
      `agent's own histogram (namespace first seen -> ready): mean ${formatMs(agentMean)}, p50 ${bound(agentP50)}, p95 ${bound(agentP95)} (bucket bounds)`,
      `agent start (spawn to /readyz 200, empty bridge): ${formatMs(agentStart)}; agent: ${entry.kind}`,
      ...series.slice(1).map((o) => {
        const other = summarize(o.attaches.map((a) => a.totalMs));
        const whole = agentStages(o.before, o.after);
        const per = (program: string): string => ((whole.spawnsByProgram[program] ?? 0) / Math.max(1, o.attaches.length)).toFixed(2);
        return `plumbing ${o.mode} / plumbing ${first.mode} (p50): ${formatRatio(ratio(other.p50, total.p50))}, (p99): ${formatRatio(ratio(other.p99, total.p99))}; spawns per namespace with ${o.mode}: ip ${per('ip')}, nsenter ${per('nsenter')}`;
      }),
      ...(floorError ? [`floor failed: ${floorError}`] : []),
    ],
  };

  const withStages = attaches.filter((a): a is Attach & { stages: AgentStages } => a.stages !== undefined);
  const stageTables: Table[] = [];
  if (withStages.length > 0) {
    const col = (f: (s: AgentStages) => number): number[] => withStages.map((a) => f(a.stages));
    const programs = [...new Set(withStages.flatMap((a) => Object.keys(a.stages.spawnsByProgram)))].sort();
    stageTables.push({
      title: 'Per namespace, from the agent\'s metrics (scraped after each namespace was ready)',
      headers: ['stage', 'mean', 'p50', 'p95', 'max'],
      rows: [
        stageRow('reconcile passes', col((s) => s.passes), 'count'),
        stageRow('reconcile pass time (sum)', col((s) => s.reconcileMs), 'ms'),
        ...PASS_STAGES.filter((st) => withStages.some((a) => a.stages.passStageMs[st] !== undefined)).map((st) => stageRow(`  pass stage: ${st}`, col((s) => s.passStageMs[st] ?? 0), 'ms')),
        stageRow('OVSDB write transactions', col((s) => s.ovsdbWrites), 'count'),
        stageRow('OVSDB write time (sum)', col((s) => s.ovsdbWriteMs), 'ms'),
        stageRow('flow syncs', col((s) => s.flowSyncs), 'count'),
        stageRow('flow sync time (sum)', col((s) => s.flowSyncMs), 'ms'),
        stageRow('flow mods', col((s) => s.flowMods), 'count'),
        stageRow('process spawns', col((s) => s.spawns), 'count'),
        ...programs.map((p) => stageRow(`  spawns: ${p}`, col((s) => s.spawnsByProgram[p] ?? 0), 'count')),
        stageRow('agent CPU', col((s) => s.cpuMs), 'ms'),
      ],
      notes: [
        `plumbing ${first.mode}; reconcile pass time includes the OVSDB and flow times below it; the rest is plumbing and waits for ovs-vswitchd`,
        `whole run: ${whole.passes} passes, ${whole.ovsdbWrites} OVSDB writes, ${whole.flowSyncs} flow syncs, ${whole.spawns} spawns, ${whole.reconcileErrors} reconcile errors, agent CPU ${formatMs(whole.cpuMs)}`,
      ],
    });
  }

  if (floor.length > 0) {
    stageTables.push({
      title: 'Floor, per namespace: each hand-run step (one process each)',
      headers: ['step', 'mean', 'p50', 'p95', 'max'],
      rows: FLOOR_STEPS.map((st) => stageRow(st, floor.map((f) => f.steps[st]), 'ms')),
      notes: ['the cost of one process of each kind on this machine now: the agent spawns ip, nsenter (ip inside the namespace) and ovs-ofctl once per namespace and talks to OVSDB over its own connection'],
    });
  }

  const summary = [latencyTable, ...stageTables];
  await publishResult({
    // A preloaded run is a different experiment: it must not replace the plain one.
    name: preload > 0 ? `latency-preload-${preload}` : 'latency',
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    params: { n, quick, gapMs, floorN, preload, perNsTimeoutMs, perNsMetrics: perNs, bridge: BRIDGE, datapathType: 'netdev', agent: { kind: entry.kind, note: entry.note }, goalP50Ms: GOAL_P50_MS, plumbing: modes },
    results: {
      nsvswitch: { plumbing: first.mode, total, creation, beyondCreation: beyond, agentStartMs: agentStart, agentHistogram: { meanMs: agentMean, p50BoundS: agentP50, p95BoundS: agentP95 }, wholeRun: whole, perNamespace: attaches },
      otherPlumbing: series.slice(1).map((o) => ({
        plumbing: o.mode,
        total: summarize(o.attaches.map((a) => a.totalMs)),
        beyondCreation: summarize(o.attaches.map((a) => a.totalMs - a.creationMs)),
        agentStartMs: o.agentStart,
        wholeRun: agentStages(o.before, o.after),
        perNamespace: o.attaches,
      })),
      floor: floorTotal ? { total: floorTotal, beyondCreation: floorBeyond, perNamespace: floor } : { error: floorError },
      ratios: { p50OverGoal: ratio(total.p50, GOAL_P50_MS), p50OverFloor: ratio(total.p50, floorTotal?.p50), beyondCreationP50OverFloor: ratio(beyond.p50, floorBeyond?.p50) },
    },
    summary,
  });
  return floorError ? 2 : 0;
}

runBench('latency', main);
