/**
 * Burst benchmark: N namespaces plugged into an OVS bridge, in one run on
 * one machine, by OVS's own ovs-docker loop (the peer), the hand-batched
 * floor and nsvswitch, each in its own fresh OVS sandbox.
 *
 *   npx tsx bench/burst.ts --n 100,1000 [--contenders peer,floor,nsvswitch,nsvswitch-process]
 *     [--rounds 3] [--peer-rounds 1] [--peer-sample 1000] [--floor-concurrency 8] [--timeout-s S] [--agent-bin bin/nsvswitch.js]
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PLUG_CONCURRENCY } from '../src/plumbing/index.js';
import { installSignalCleanup, isInterrupted, runAllCleanups, runBench } from './lib/cleanup.js';
import { machineInfo, publishResult } from './lib/results.js';
import { withTimeout } from './lib/timing.js';
import { floorContender } from './lib/burst/floor.js';
import { nsvswitchContender } from './lib/burst/nsvswitch.js';
import { peerContender } from './lib/burst/peer.js';
import { agentBreakdownTable, burstRatios, burstRatiosTable, burstTimesTable, type BurstRun } from './lib/burst/report.js';
import { medianOutcome, roundSchedule } from './lib/burst/rounds.js';
import { CONTENDERS, type Contender, type ContenderName, type ContenderOutcome } from './lib/burst/types.js';
import { parseContenders, parsePositiveInts } from './lib/burst/args.js';

const BRIDGE = 'br-bench';
/** Extra time the harness allows a contender beyond its own budget before tearing everything down. */
const HARD_STOP_GRACE_MS = 60_000;

/** A contender's own budget: generous for its size, so only a hang hits it. */
function budgetMs(name: ContenderName, n: number, peerSample: number): number {
  if (name === 'peer') return Math.max(120_000, Math.min(n, peerSample) * 2_000);
  return Math.max(120_000, n * 500);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '100,1000' },
      contenders: { type: 'string', default: CONTENDERS.join(',') },
      'peer-sample': { type: 'string', default: '1000' },
      rounds: { type: 'string', default: '3' },
      'peer-rounds': { type: 'string', default: '1' },
      // The agent's own plug concurrency, so the floor runs its per-namespace batches on the same footing.
      'floor-concurrency': { type: 'string', default: String(DEFAULT_PLUG_CONCURRENCY) },
      'timeout-s': { type: 'string' },
      'agent-bin': { type: 'string' },
    },
  });
  const sizes = parsePositiveInts('--n', values.n);
  const chosen = parseContenders(values.contenders);
  const peerSample = parsePositiveInts('--peer-sample', values['peer-sample'])[0] ?? 1000;
  const floorConcurrency = parsePositiveInts('--floor-concurrency', values['floor-concurrency'])[0] ?? DEFAULT_PLUG_CONCURRENCY;
  const rounds = parsePositiveInts('--rounds', values.rounds)[0] ?? 3;
  const peerRounds = parsePositiveInts('--peer-rounds', values['peer-rounds'])[0] ?? 1;
  const timeoutOverride = values['timeout-s'] !== undefined ? (parsePositiveInts('--timeout-s', values['timeout-s'])[0] ?? 0) * 1000 : undefined;
  installSignalCleanup();

  const impl: Record<ContenderName, Contender> = {
    peer: peerContender({ sampleLimit: peerSample }),
    floor: floorContender({ concurrency: floorConcurrency }),
    nsvswitch: nsvswitchContender(values['agent-bin'] !== undefined ? { agentBin: resolve(values['agent-bin']) } : {}),
    'nsvswitch-process': nsvswitchContender({ ...(values['agent-bin'] !== undefined ? { agentBin: resolve(values['agent-bin']) } : {}), plumbing: 'process', name: 'nsvswitch-process' }),
    'nsvswitch-bind': nsvswitchContender({ ...(values['agent-bin'] !== undefined ? { agentBin: resolve(values['agent-bin']) } : {}), appear: 'bind', name: 'nsvswitch-bind' }),
  };
  const startedAt = new Date().toISOString();
  const machine = await machineInfo();
  const t0 = Date.now();
  const log = (msg: string): void => void process.stderr.write(`[burst +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
  log(`${machine.cpus} CPUs (${machine.cpuModel}), load ${machine.loadAvg1m.toFixed(2)}, ${machine.ovs}`);

  const runs: BurstRun[] = [];
  for (const n of sizes) {
    const byContender = new Map<ContenderName, ContenderOutcome[]>();
    const failed = new Set<ContenderName>();
    for (const { round, contender: name } of roundSchedule(chosen, rounds, peerRounds)) {
      if (isInterrupted()) break;
      // A failing contender fails the same way again: no more rounds for it.
      if (failed.has(name)) continue;
      const timeoutMs = timeoutOverride ?? budgetMs(name, n, peerSample);
      const tag = `n=${n} ${name}${rounds > 1 ? ` round ${round + 1}` : ''}`;
      log(`${tag}: start (budget ${Math.round(timeoutMs / 1000)} s)`);
      let outcome: ContenderOutcome;
      try {
        outcome = await withTimeout(`${name} at n=${n}`, impl[name]({ n, bridge: BRIDGE, timeoutMs, log }), timeoutMs + HARD_STOP_GRACE_MS);
        log(`${tag}: ${outcome.totalMs.toFixed(0)} ms, ${outcome.perNsMs.toFixed(2)} ms/namespace`);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        outcome = { contender: name, status: 'failed', n, reason };
        log(`${tag}: failed: ${reason}`);
        // A contender past its hard stop may still hold resources: undo them before the next one starts.
        await runAllCleanups(log);
      }
      byContender.set(name, [...(byContender.get(name) ?? []), outcome]);
      if (outcome.status === 'failed') failed.add(name);
    }
    const outcomes: Partial<Record<ContenderName, ContenderOutcome>> = {};
    for (const name of chosen) {
      const o = medianOutcome(byContender.get(name) ?? []);
      if (o) outcomes[name] = o;
    }
    runs.push({ n, outcomes, ratios: burstRatios(outcomes) });
  }

  if (isInterrupted()) return 130;
  const breakdown = agentBreakdownTable(runs);
  const summary = [burstTimesTable(runs), burstRatiosTable(runs), ...(breakdown ? [breakdown] : [])];
  await publishResult({
    name: 'burst',
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    params: { sizes, contenders: chosen, rounds, peerRounds, peerSample, floorConcurrency, bridge: BRIDGE, datapathType: 'netdev' },
    results: runs,
    summary,
  });
  const anyFailed = runs.some((r) => Object.values(r.outcomes).some((o) => o.status === 'failed'));
  return anyFailed ? 2 : 0;
}

runBench('burst', main);
