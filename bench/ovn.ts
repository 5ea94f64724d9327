/**
 * Tenants across hosts on OVN (issue 17): 3 simulated hosts (a private
 * OVS, ovn-controller each), a 3-member Raft northbound and southbound
 * cluster and ovn-northd (test/helpers/ovn-env.ts), N workloads per host
 * plugged at once on every host, timed to ovn-installed on each Interface.
 * Paired in one run, the order rotated each round:
 *
 *   - nsvswitch: one agent per host (backend ovn, the same manifests);
 *   - scripted: per workload the steps of OVN's Docker driver (ovn-nbctl per
 *     step, veth, ovs-vsctl add-port + iface-id), `--concurrency` at once per host;
 *   - floor-interface / floor-lsp: OVN's own floor, everything made
 *     beforehand in bulk and one transaction completing the ports.
 *
 *   npx tsx bench/ovn.ts [--n 100] [--rounds 3] [--concurrency 10]
 *     [--contenders nsvswitch,scripted,floor-interface,floor-lsp] [--timeout-s 600] [--agent-bin PATH] [--quick]
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { OvnEnv, INTEGRATION_BRIDGE } from '../test/helpers/ovn-env.js';
import { privateAgentBuild } from './lib/agent-build.js';
import { deferCleanup, installSignalCleanup, isInterrupted, runBench } from './lib/cleanup.js';
import { InterfaceMonitor } from './lib/interface-monitor.js';
import { floorPhase } from './lib/ovn/floor.js';
import { nsvswitchPhase, writeManifests } from './lib/ovn/nsvswitch.js';
import type { OvnBenchCtx } from './lib/ovn/phase.js';
import { extraTable, latencyTable, medianPhase, OVN_CONTENDERS, ovnRatios, ratiosPerRound, ratiosTable, roundOrder, type OvnContender, type OvnPhase } from './lib/ovn/report.js';
import { scriptedPhase } from './lib/ovn/scripted.js';
import { benchSize, quickMode } from './lib/quick.js';
import { machineInfo, publishResult } from './lib/results.js';
import { pollUntil } from './lib/timing.js';

const HOSTS = 3;

function parseContenders(text: string | undefined): OvnContender[] {
  const names = (text ?? OVN_CONTENDERS.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!(OVN_CONTENDERS as readonly string[]).includes(n)) throw new Error(`--contenders: unknown ${JSON.stringify(n)} (known: ${OVN_CONTENDERS.join(', ')})`);
  return OVN_CONTENDERS.filter((c) => names.includes(c));
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string' },
      rounds: { type: 'string' },
      concurrency: { type: 'string', default: '10' },
      contenders: { type: 'string' },
      'timeout-s': { type: 'string', default: '600' },
      'agent-bin': { type: 'string' },
      quick: { type: 'boolean' },
    },
  });
  const quick = quickMode(values.quick);
  const n = benchSize(values.n, quick, { full: 100, quick: 10 });
  const rounds = benchSize(values.rounds, quick, { full: 3, quick: 1 }, '--rounds');
  const concurrency = benchSize(values.concurrency, quick, { full: 10, quick: 10 }, '--concurrency');
  const timeoutMs = benchSize(values['timeout-s'], quick, { full: 600, quick: 600 }, '--timeout-s') * 1000;
  const contenders = parseContenders(values.contenders);
  installSignalCleanup();
  const startedAt = new Date().toISOString();
  const machine = await machineInfo();
  const t0 = Date.now();
  const log = (msg: string): void => void process.stderr.write(`[ovn +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
  log(`${machine.cpus} CPUs (${machine.cpuModel}), load ${machine.loadAvg1m.toFixed(2)}, ${machine.ovs}; ${HOSTS} hosts × ${n}, ${rounds} round(s)`);
  const entry = await privateAgentBuild(log, values['agent-bin'] !== undefined ? resolve(values['agent-bin']) : undefined);
  const monitors: InterfaceMonitor[] = [];
  let env: OvnEnv | undefined;
  const stopEnv = deferCleanup('OVN env (clusters, northd, hosts)', async () => {
    await env?.stop();
  });
  const phases: OvnPhase[] = [];
  const failures: { contender: OvnContender; round: number; error: string }[] = [];
  try {
    log('starting the NB and SB Raft clusters, ovn-northd and the hosts');
    // The hosts' Open_vSwitch external_ids are set as the agent sets them, so every route finds br-int and a chassis.
    env = await OvnEnv.start({ hosts: HOSTS, configureOvn: true, label: 'ovn-bench' });
    const e = env;
    await Promise.all(e.hosts.map((h) => pollUntil(`${INTEGRATION_BRIDGE} on ${h.name}`, async () => ((await h.vsctl('list-br')).split('\n').includes(INTEGRATION_BRIDGE) ? true : undefined), 60_000, 500)));
    monitors.push(...(await Promise.all(e.hosts.map((h) => InterfaceMonitor.start(h.dbEndpoint, h.env)))));
    const manifestDirs = await writeManifests(e.hosts);
    const ctx: OvnBenchCtx = { env: e, monitors, n, concurrency, timeoutMs, log };
    const runOne = (c: OvnContender, round: number): Promise<OvnPhase> => {
      switch (c) {
        case 'nsvswitch': return nsvswitchPhase(ctx, round, { agentBin: entry.bin, manifestDirs });
        case 'scripted': return scriptedPhase(ctx, round);
        case 'floor-interface': return floorPhase(ctx, round, 'interface');
        case 'floor-lsp': return floorPhase(ctx, round, 'lsp');
      }
    };
    for (let round = 0; round < rounds && !isInterrupted(); round++) {
      const order = roundOrder(contenders, round);
      log(`round ${round + 1}/${rounds}: ${order.join(', ')}`);
      for (const c of order) {
        if (isInterrupted()) break;
        try {
          const p = await runOne(c, round);
          phases.push(p);
          log(`${c}: burst total ${p.totalMs.toFixed(0)} ms, NB entries ${p.nbEntries ?? '?'}`);
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          failures.push({ contender: c, round, error });
          log(`${c} failed in round ${round + 1}: ${error}`);
        }
      }
    }
    if (isInterrupted()) return 130;
    const medians: Partial<Record<OvnContender, OvnPhase>> = {};
    for (const c of contenders) {
      if (failures.some((f) => f.contender === c)) continue;
      const m = medianPhase(phases.filter((p) => p.contender === c));
      if (m) medians[c] = m;
    }
    const ratios = ovnRatios(medians);
    const perRound = ratiosPerRound(phases.filter((p) => !failures.some((f) => f.contender === p.contender)));
    const latency = latencyTable(medians, phases, HOSTS, n);
    const summary = [
      { ...latency, notes: [...(latency.notes ?? []), ...failures.map((f) => `FAILED: ${f.contender} in round ${f.round + 1}: ${f.error}`)] },
      ratiosTable(ratios, perRound),
      extraTable(medians),
    ];
    await publishResult({
      name: 'ovn',
      startedAt,
      finishedAt: new Date().toISOString(),
      machine,
      params: { hosts: HOSTS, n, rounds, concurrency, contenders, agent: entry.note, bridge: INTEGRATION_BRIDGE, datapathType: 'netdev', encap: 'geneve', nb: '3-member Raft cluster', sb: '3-member Raft cluster', quick },
      results: { phases, failures, medians, ratios, ratiosPerRound: perRound },
      summary,
    });
    return failures.length > 0 ? 2 : 0;
  } finally {
    await Promise.all(monitors.map((m) => m.stop()));
    await stopEnv().catch((err: unknown) => log(`OVN env teardown: ${String(err)}`));
    await entry.dispose();
  }
}

runBench('ovn', main);
