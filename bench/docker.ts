/**
 * Docker containers as workloads: labelled containers started against one
 * real private Docker engine (Debian's dockerd, private roots and socket, in
 * the OVS sandbox's host namespace), in one run:
 *
 *   - no agent: `docker run -d` one at a time, then a burst (the floor);
 *   - ovs-docker: OVS's own `ovs-docker add-port` loop over the burst's
 *     containers, against the same engine (its `docker inspect` is real);
 *   - nsvswitch: the agent running (label selector, Docker Engine API), the
 *     same starts; each container's time from `docker run` to tenant-ready
 *     (its port's ready marker `nsvswitch-installed=true` and an ofport in
 *     OVSDB, seen by one `ovsdb-client monitor`), and the burst total.
 *
 *   npx tsx bench/docker.ts [--n 100] [--sequential 20] [--concurrency 10] [--rounds 1] [--agent-bin PATH]
 *
 * Rounds alternate the order of the no-agent and nsvswitch phases.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { OvsSandbox } from '../src/sandbox/ovs-sandbox.js';
import { DockerEnv, dockerAvailable } from '../test/helpers/docker-env.js';
import { benchIp, benchNames, BENCH_PREFIX_LEN, inSubnet } from './lib/addresses.js';
import { AgentProcess } from './lib/agent-process.js';
import { privateAgentBuild } from './lib/agent-build.js';
import { parsePositiveInts } from './lib/burst/args.js';
import { agentBreakdown } from './lib/burst/nsvswitch.js';
import { deferCleanup, installSignalCleanup, isInterrupted, runBench } from './lib/cleanup.js';
import { removeContainers, runBurst, timedRun, type TimedRun } from './lib/docker/containers.js';
import { ovsDockerLoop } from './lib/docker/ovs-docker.js';
import { ReadyTracker } from './lib/docker/ready-tracker.js';
import { burstTable, dockerRatios, perContainerTable, ratiosTable, type DockerRound } from './lib/docker/report.js';
import { httpGetInNetns } from './lib/http-in-netns.js';
import { InterfaceMonitor } from './lib/interface-monitor.js';
import { parsePromText, type PromSamples } from './lib/prom-text.js';
import { machineInfo, publishResult } from './lib/results.js';
import { startBenchSandbox } from './lib/sandbox.js';
import { deltas } from './lib/stats.js';
import { pollUntil } from './lib/timing.js';

const AGENT_BRIDGE = 'br-dbench';
const OVS_DOCKER_BRIDGE = 'br-ovsdocker';
/** The tenant interface: a secondary one (Docker networks the containers itself), the same name for ovs-docker. */
const IF_NAME = 'net1';
const MTU = 1500;
const SUBNET = '10.78.0.0/16';
const LABELS = { 'nsvs-bench': 'docker' } as const;
/** Any port: the agent listens inside the sandbox's fresh host namespace. */
const AGENT_METRICS_PORT = 19478;
const AGENT_READY_TIMEOUT_MS = 60_000;
const READY_TIMEOUT_MS = 120_000;
/** Containers whose insides are checked after timing (first, middle, last). */
const SPOTS = 3;

const MANIFEST = `apiVersion: nsvswitch/v1
kind: Tenant
metadata: { name: dbench }
spec:
  id: 7702
  subnet: ${SUBNET}
  interface: { mtu: ${MTU}, secondaryName: ${IF_NAME} }
  workloads:
    - runtime: docker
      matchLabels: { nsvs-bench: docker }
`;

type Log = (msg: string) => void;

interface Ctx {
  readonly sb: OvsSandbox;
  readonly docker: DockerEnv;
  readonly monitor: InterfaceMonitor;
  readonly agentBin: string;
  readonly n: number;
  readonly sequential: number;
  readonly concurrency: number;
  readonly log: Log;
}

const spread = <T>(xs: readonly T[]): T[] => [...new Set([0, Math.floor(xs.length / 2), xs.length - 1])].slice(0, SPOTS).map((i) => xs[i] as T);

/** The tenant interface inside a container: its IPv4 addresses (empty when absent). */
async function tenantAddrs(docker: DockerEnv, name: string): Promise<string[]> {
  const r = await docker.inNetns(name, 'ip', ['-j', 'addr', 'show', 'dev', IF_NAME], [1]);
  if (r.exitCode !== 0) return [];
  const j = JSON.parse(r.stdout || '[]') as { operstate?: string; addr_info?: { family: string; local: string; prefixlen: number }[] }[];
  return (j[0]?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
}

async function noAgentPhase(ctx: Ctx, round: number): Promise<Pick<DockerRound, 'noAgent' | 'ovsDocker'>> {
  const { docker, sb, log } = ctx;
  const seqNames = benchNames(`na${round}-s-`, ctx.sequential);
  const burstNames = benchNames(`na${round}-b-`, ctx.n);
  try {
    log(`no agent: ${ctx.sequential} docker runs one at a time`);
    const seq: TimedRun[] = [];
    for (const name of seqNames) seq.push(await timedRun(docker, name, LABELS));
    log(`no agent: burst of ${ctx.n}, ${ctx.concurrency} at once`);
    const burst = await runBurst(docker, burstNames, LABELS, ctx.concurrency);
    const burstTotalMs = Math.max(...burst.map((r) => r.returnMs)) - Math.min(...burst.map((r) => r.startMs));

    // A fresh bridge per round: ovs-docker leaves rows behind when containers go.
    await sb.vsctl('--if-exists', 'del-br', OVS_DOCKER_BRIDGE);
    await sb.addBridge(OVS_DOCKER_BRIDGE);
    log(`ovs-docker: add-port x ${ctx.n} against the real engine`);
    const targets = burstNames.map((container, i) => ({ container, address: `${benchIp(i)}/${BENCH_PREFIX_LEN}` }));
    const stamps = await ovsDockerLoop(sb, docker, { bridge: OVS_DOCKER_BRIDGE, ifName: IF_NAME, mtu: MTU, targets, timeoutMs: Math.max(300_000, ctx.n * 3000) });
    const want = new Set(burstNames);
    await ctx.monitor.waitFor('ovs-docker ports attached', (rep) => [...rep.values()].filter((r) => want.has(r.externalIds.container_id ?? '') && (r.ofport ?? 0) > 0).length >= ctx.n, 30_000);
    for (const i of spread(burstNames.map((_, k) => k))) {
      const addrs = await tenantAddrs(docker, burstNames[i] as string);
      if (!addrs.includes(targets[i]!.address)) throw new Error(`ovs-docker: container ${burstNames[i]} has ${IF_NAME} ${JSON.stringify(addrs)}, expected ${targets[i]!.address}`);
    }
    const last = stamps.doneMs[stamps.doneMs.length - 1] ?? stamps.startMs;
    return {
      noAgent: { sequentialRunMs: seq.map((r) => r.returnMs - r.startMs), burstRunMs: burst.map((r) => r.returnMs - r.startMs), burstTotalMs },
      ovsDocker: { totalMs: last - stamps.startMs, perPortMs: deltas(stamps.startMs, stamps.doneMs) },
    };
  } finally {
    await removeContainers(docker, [...seqNames, ...burstNames]);
  }
}

async function startAgent(ctx: Ctx): Promise<{ agent: AgentProcess; scrape: () => Promise<PromSamples> }> {
  const { sb, docker } = ctx;
  const manifestDir = join(sb.dir, 'manifests');
  await mkdir(manifestDir, { recursive: true });
  await writeFile(join(manifestDir, 'docker.yaml'), MANIFEST);
  const args = [
    '--ovsdb', sb.dbEndpoint, '--ovs-rundir', sb.dir, '--bridge', AGENT_BRIDGE, '--datapath-type', 'netdev',
    '--manifest-dir', manifestDir, '--namespace-dir', docker.netnsDir, '--host-netns', sb.hostNetns,
    '--docker-socket', docker.socket, '--docker-netns-dir', docker.netnsDir,
    '--metrics-listen', `127.0.0.1:${AGENT_METRICS_PORT}`, '--log-level', 'warn',
  ];
  const agent = AgentProcess.start(args, sb.hostNetns, sb.env, ctx.agentBin);
  const url = `http://127.0.0.1:${AGENT_METRICS_PORT}`;
  try {
    await pollUntil('nsvswitch /readyz', async () => {
      if (!agent.running) throw new Error(`agent exited: ${agent.lastLines(40)}`);
      return (await httpGetInNetns(sb.hostNetns, `${url}/readyz`))?.status === 200 ? true : undefined;
    }, AGENT_READY_TIMEOUT_MS, 200);
  } catch (err) {
    await agent.stop();
    throw err;
  }
  return { agent, scrape: async () => parsePromText((await httpGetInNetns(sb.hostNetns, `${url}/metrics`))?.body ?? '') };
}

async function agentPhase(ctx: Ctx, round: number): Promise<Pick<DockerRound, 'nsvswitch'>> {
  const { docker, log } = ctx;
  const seqNames = benchNames(`nv${round}-s-`, ctx.sequential);
  const burstNames = benchNames(`nv${round}-b-`, ctx.n);
  const { agent, scrape } = await startAgent(ctx);
  const died = agent.exited();
  died.catch(() => undefined);
  const tracker = new ReadyTracker(ctx.monitor);
  try {
    log(`nsvswitch (pid ${agent.pid ?? '?'}): ${ctx.sequential} docker runs one at a time, each until tenant-ready`);
    const seq: TimedRun[] = [];
    for (const name of seqNames) {
      const r = await timedRun(docker, name, LABELS);
      await Promise.race([died, tracker.waitFor(`${name} tenant-ready`, [r.id], READY_TIMEOUT_MS)]);
      seq.push(r);
    }
    const before = await scrape();
    log(`nsvswitch: burst of ${ctx.n}, ${ctx.concurrency} at once`);
    const burst = await Promise.race([died, runBurst(docker, burstNames, LABELS, ctx.concurrency)]);
    await Promise.race([died, tracker.waitFor(`${ctx.n} containers tenant-ready`, burst.map((r) => r.id), READY_TIMEOUT_MS)]);
    const metrics = agentBreakdown(before, await scrape());
    const readyOf = (r: TimedRun): number => (tracker.at(r.id) as number) - r.startMs;
    const lastReady = Math.max(...burst.map((r) => tracker.at(r.id) as number));

    // Correctness before speed: every container runs, the spots carry a tenant address.
    const running = (await docker.cli(['ps', '-q', '--filter', 'label=nsvs-bench=docker', '--filter', 'status=running'])).stdout.split('\n').filter(Boolean).length;
    if (running !== ctx.n + ctx.sequential) throw new Error(`nsvswitch: ${running} of ${ctx.n + ctx.sequential} containers running`);
    for (const name of spread(burstNames)) {
      const addrs = await tenantAddrs(docker, name);
      if (!addrs.some((a) => inSubnet(a.split('/')[0] ?? '', SUBNET))) throw new Error(`nsvswitch: container ${name} has ${IF_NAME} ${JSON.stringify(addrs)}, nothing in ${SUBNET}`);
    }
    return {
      nsvswitch: {
        sequentialRunMs: seq.map((r) => r.returnMs - r.startMs),
        sequentialReadyMs: seq.map(readyOf),
        burstRunMs: burst.map((r) => r.returnMs - r.startMs),
        burstReadyMs: burst.map(readyOf),
        burstTotalMs: lastReady - Math.min(...burst.map((r) => r.startMs)),
        burstTailMs: lastReady - Math.max(...burst.map((r) => r.returnMs)),
        metrics,
      },
    };
  } finally {
    tracker.stop();
    await removeContainers(docker, [...seqNames, ...burstNames]);
    // The agent unplugs them (Docker's die/destroy events); wait for it so the next phase starts clean.
    await ctx.monitor.waitFor('nsvswitch ports removed', (rep) => [...rep.values()].every((r) => r.externalIds['nsvswitch-owner'] !== 'nsvswitch' || r.externalIds.container_id === undefined), 60_000)
      .catch((err: unknown) => log(`nsvswitch: ports not all removed: ${String(err)}`));
    await agent.stop();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '100' },
      sequential: { type: 'string', default: '20' },
      concurrency: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '1' },
      'agent-bin': { type: 'string' },
    },
  });
  const one = (flag: string, v: string | undefined): number => parsePositiveInts(flag, v)[0] ?? 1;
  const n = one('--n', values.n);
  const sequential = one('--sequential', values.sequential);
  const concurrency = one('--concurrency', values.concurrency);
  const rounds = one('--rounds', values.rounds);
  if (!dockerAvailable()) throw new Error('bench/docker.ts needs Debian\'s docker.io (dockerd, docker) and busybox-static');
  installSignalCleanup();
  const startedAt = new Date().toISOString();
  const machine = await machineInfo();
  const t0 = Date.now();
  const log: Log = (msg) => void process.stderr.write(`[docker +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
  log(`${machine.cpus} CPUs (${machine.cpuModel}), load ${machine.loadAvg1m.toFixed(2)}, ${machine.ovs}`);

  // A compiled copy of the agent (src/ may change under a long run; tsx would be measured with it).
  const entry = await privateAgentBuild(log, values['agent-bin'] !== undefined ? resolve(values['agent-bin']) : undefined);
  const { sb, stop } = await startBenchSandbox('docker');
  let docker: DockerEnv | undefined;
  const stopDocker = deferCleanup('bench dockerd', async () => {
    await docker?.stop();
  });
  let monitor: InterfaceMonitor | undefined;
  const results: DockerRound[] = [];
  try {
    log('starting a private dockerd in the sandbox\'s host namespace');
    docker = await DockerEnv.start(join(sb.dir, 'dk'), sb.hostNetns, { bridgeCidr: '172.31.240.1/20' });
    const engine = (await docker.cli(['version', '--format', '{{.Server.Version}}'])).stdout.trim();
    monitor = await InterfaceMonitor.start(sb.dbEndpoint, sb.env);
    const ctx: Ctx = { sb, docker, monitor, agentBin: entry.bin, n, sequential, concurrency, log };
    // Warm-up: the first container of a fresh engine pays for its layer set-up.
    await timedRun(docker, 'warmup', {}).then(() => removeContainers(docker!, ['warmup']));
    for (let round = 0; round < rounds && !isInterrupted(); round++) {
      const agentFirst = round % 2 === 1;
      const order = agentFirst ? ['nsvswitch', 'no-agent'] : ['no-agent', 'nsvswitch'];
      log(`round ${round + 1}: ${order.join(', then ')}`);
      let a: Pick<DockerRound, 'nsvswitch'>;
      let b: Pick<DockerRound, 'noAgent' | 'ovsDocker'>;
      if (agentFirst) {
        a = await agentPhase(ctx, round);
        b = await noAgentPhase(ctx, round);
      } else {
        b = await noAgentPhase(ctx, round);
        a = await agentPhase(ctx, round);
      }
      results.push({ round, order, ...b, ...a });
    }
    if (isInterrupted()) return 130;
    const ratios = dockerRatios(results);
    const summary = [perContainerTable(results, concurrency), burstTable(results, n), ratiosTable(ratios)];
    await publishResult({
      name: 'docker',
      startedAt,
      finishedAt: new Date().toISOString(),
      machine,
      params: { n, sequential, concurrency, rounds, engine, agent: entry.note, bridge: AGENT_BRIDGE, datapathType: 'netdev', interface: IF_NAME, labels: LABELS },
      results: { rounds: results, ratios },
      summary,
    });
    return 0;
  } finally {
    await monitor?.stop();
    await stopDocker().catch((err: unknown) => log(`dockerd teardown: ${String(err)}`));
    await stop();
    await entry.dispose();
  }
}

runBench('docker', main);
