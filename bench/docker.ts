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
import { join } from 'node:path';
import { DockerEnv, dockerAvailable } from '../test/helpers/docker-env.js';
import { benchIp, benchNames, BENCH_PREFIX_LEN, inSubnet } from './lib/addresses.js';
import { agentBreakdown } from './lib/burst/nsvswitch.js';
import { isInterrupted, runBench } from './lib/cleanup.js';
import { removeContainers, runBurst, timedRun, type TimedRun } from './lib/docker/containers.js';
import { ovsDockerLoop } from './lib/docker/ovs-docker.js';
import { ReadyTracker } from './lib/docker/ready-tracker.js';
import { burstTable, dockerRatios, perContainerTable, ratiosTable, type DockerRound } from './lib/docker/report.js';
import { runtimeBenchMain, startRuntimeAgent, type RuntimeBench } from './lib/runtime-bench.js';
import { deltas } from './lib/stats.js';

const AGENT_BRIDGE = 'br-dbench';
const OVS_DOCKER_BRIDGE = 'br-ovsdocker';
/** The tenant interface: a secondary one (Docker networks the containers itself), the same name for ovs-docker. */
const IF_NAME = 'net1';
const MTU = 1500;
const SUBNET = '10.78.0.0/16';
const LABELS = { 'nsvs-bench': 'docker' } as const;
/** Any port: the agent listens inside the sandbox's fresh host namespace. */
const AGENT_METRICS_PORT = 19478;
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

type Ctx = RuntimeBench<DockerEnv, 'rounds'>;

const spread = <T>(xs: readonly T[]): T[] => [...new Set([0, Math.floor(xs.length / 2), xs.length - 1])].slice(0, SPOTS).map((i) => xs[i] as T);

/** The tenant interface inside a container: its IPv4 addresses (empty when absent). */
async function tenantAddrs(docker: DockerEnv, name: string): Promise<string[]> {
  const r = await docker.inNetns(name, 'ip', ['-j', 'addr', 'show', 'dev', IF_NAME], [1]);
  if (r.exitCode !== 0) return [];
  const j = JSON.parse(r.stdout || '[]') as { operstate?: string; addr_info?: { family: string; local: string; prefixlen: number }[] }[];
  return (j[0]?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
}

async function noAgentPhase(ctx: Ctx, round: number): Promise<Pick<DockerRound, 'noAgent' | 'ovsDocker'>> {
  const { env: docker, sb, log } = ctx;
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

async function agentPhase(ctx: Ctx, round: number): Promise<Pick<DockerRound, 'nsvswitch'>> {
  const { env: docker, log } = ctx;
  const seqNames = benchNames(`nv${round}-s-`, ctx.sequential);
  const burstNames = benchNames(`nv${round}-b-`, ctx.n);
  const { agent, scrape } = await startRuntimeAgent(ctx, {
    manifestFile: 'docker.yaml', manifest: MANIFEST, bridge: AGENT_BRIDGE, metricsPort: AGENT_METRICS_PORT,
    runtimeFlags: ['--docker-socket', docker.socket, '--docker-netns-dir', docker.netnsDir],
  });
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

runBench('docker', () => runtimeBenchMain({
  name: 'docker',
  daemon: 'dockerd',
  available: dockerAvailable,
  needs: 'Debian\'s docker.io (dockerd, docker) and busybox-static',
  moreSizes: { rounds: '1' },
  starting: 'starting a private dockerd in the sandbox\'s host namespace',
  start: (sb) => DockerEnv.start(join(sb.dir, 'dk'), sb.hostNetns, { bridgeCidr: '172.31.240.1/20' }),
  version: async (docker) => (await docker.cli(['version', '--format', '{{.Server.Version}}'])).stdout.trim(),
}, async (ctx) => {
  const { env: docker, n, sequential, concurrency, log } = ctx;
  const { rounds } = ctx.sizes;
  const results: DockerRound[] = [];
  // Warm-up: the first container of a fresh engine pays for its layer set-up.
  await timedRun(docker, 'warmup', {}).then(() => removeContainers(docker, ['warmup']));
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
  return {
    params: { n, sequential, concurrency, rounds, engine: ctx.version, agent: ctx.agentNote, bridge: AGENT_BRIDGE, datapathType: 'netdev', interface: IF_NAME, labels: LABELS },
    results: { rounds: results, ratios },
    summary: [perContainerTable(results, concurrency), burstTable(results, n), ratiosTable(ratios)],
  };
}));
