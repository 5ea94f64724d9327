/**
 * Kubernetes pods as workloads: pod sandboxes created the way the kubelet
 * creates them (RunPodSandbox over the CRI, with metadata and labels) against
 * one real private containerd (Debian's, CRI plugin, ptp + host-local as the
 * cluster's primary network), in the OVS sandbox's host namespace. One run:
 *
 *   - floor: RunPodSandbox alone (no secondary network), one at a time, then a burst;
 *   - classic: RunPodSandbox, then the secondary OVS network attached the way
 *     ovs-cni does per pod (a veth pair, the pod end moved in and addressed,
 *     `ovs-vsctl add-port` waiting for ovs-vswitchd): time from RunPodSandbox
 *     to `add-port` returning;
 *   - nsvswitch: the agent running (CRI source, k8sNamespaces selector,
 *     secondary interface net1); time from RunPodSandbox to the port's ready
 *     marker and ofport in OVSDB (one `ovsdb-client monitor`), and the burst total.
 *
 *   npx tsx bench/cri.ts [--n 100] [--sequential 20] [--concurrency 10] [--agent-bin PATH]
 */
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { run } from '../src/exec/run.js';
import { CriEnv, criAvailable } from '../test/helpers/cri-env.js';
import { isInterrupted, runBench } from './lib/cleanup.js';
import { mapLimit } from './lib/concurrency.js';
import { ReadyTracker } from './lib/docker/ready-tracker.js';
import { agentBreakdown } from './lib/burst/nsvswitch.js';
import { runtimeBenchMain, startRuntimeAgent, type RuntimeBench } from './lib/runtime-bench.js';
import { summarize, type Summary } from './lib/stats.js';
import type { Table } from './lib/table.js';
import { nowMs } from './lib/timing.js';

const AGENT_BRIDGE = 'br-cbench';
const CLASSIC_BRIDGE = 'br-ovscni';
const IF_NAME = 'net1';
const SUBNET = '10.79.0.0/16';
const POD_NAMESPACE = 'bench';
const AGENT_METRICS_PORT = 19479;
const READY_TIMEOUT_MS = 120_000;

const MANIFEST = `apiVersion: nsvswitch/v1
kind: Tenant
metadata: { name: cbench }
spec:
  id: 7703
  subnet: ${SUBNET}
  interface: { secondaryName: ${IF_NAME} }
  workloads:
    - runtime: cri
      k8sNamespaces: [${POD_NAMESPACE}]
`;

interface TimedPod {
  readonly id: string;
  readonly netns: string;
  readonly startMs: number;
  readonly returnMs: number;
  /** When the secondary network was ready (classic: add-port returned; nsvswitch: ready marker seen). */
  readyMs?: number;
}

interface Phase {
  readonly sequentialRunMs: number[];
  readonly sequentialReadyMs: number[];
  readonly burstRunMs: number[];
  readonly burstReadyMs: number[];
  /** RunPodSandbox returned → ready: the window in which the kubelet may start app containers without the interface. */
  readonly sequentialWindowMs: number[];
  readonly burstWindowMs: number[];
  readonly burstTotalMs: number;
}

type Ctx = RuntimeBench<CriEnv>;

async function runPod(cri: CriEnv, name: string): Promise<TimedPod> {
  const startMs = nowMs();
  const id = await cri.api.runPodSandbox({
    name, namespace: POD_NAMESPACE, uid: randomBytes(8).toString('hex'), hostname: name,
    labels: { 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.namespace': POD_NAMESPACE, app: 'bench' },
    annotations: { 'kubernetes.io/config.source': 'api' },
    cgroupParent: cri.cgroupParent,
  });
  const returnMs = nowMs();
  return { id, netns: await cri.netnsOf(id), startMs, returnMs };
}

async function removePods(cri: CriEnv, pods: readonly TimedPod[], concurrency: number): Promise<void> {
  await mapLimit(pods, concurrency, (p) => cri.removePod(p.id).catch(() => undefined));
}

/** The per-pod work of ovs-cni: a veth pair, the pod end moved in, renamed, addressed, up; `ovs-vsctl add-port` (waits for ovs-vswitchd). */
async function classicAttach(ctx: Ctx, p: TimedPod, i: number): Promise<void> {
  const host = `ovc${i.toString(16)}`;
  const tmp = `ovt${i.toString(16)}`;
  const ip = `10.79.${Math.floor((i + 2) / 256)}.${(i + 2) % 256}/16`;
  // Bench-made names and paths only (no untrusted input in the batch text).
  await run('ip', ['-batch', '-'], { netns: ctx.sb.hostNetns, input: `link add ${host} type veth peer name ${tmp}\nlink set ${tmp} netns ${p.netns}\nlink set ${host} up\n` });
  await run('ip', ['-batch', '-'], { netns: p.netns, input: `link set ${tmp} name ${IF_NAME}\naddr add ${ip} dev ${IF_NAME}\nlink set ${IF_NAME} up\n` });
  await ctx.sb.vsctl('--timeout=60', 'add-port', CLASSIC_BRIDGE, host, '--', 'set', 'Interface', host, `external_ids:container_id=${p.id}`);
}

async function sequentialAndBurst(ctx: Ctx, label: string, attach: ((p: TimedPod, i: number) => Promise<void>) | undefined, waitReady: ((pods: TimedPod[]) => Promise<void>) | undefined): Promise<{ phase: Phase; pods: TimedPod[] }> {
  const { env: cri, log } = ctx;
  const all: TimedPod[] = [];
  try {
    log(`${label}: ${ctx.sequential} pods one at a time`);
    const seq: TimedPod[] = [];
    for (let i = 0; i < ctx.sequential; i++) {
      const p = await runPod(cri, `${label}-s-${i}`);
      all.push(p);
      if (attach) await attach(p, i);
      if (waitReady) await waitReady([p]);
      if (attach) p.readyMs = nowMs();
      seq.push(p);
    }
    log(`${label}: burst of ${ctx.n}, ${ctx.concurrency} at once`);
    const burst = await mapLimit(Array.from({ length: ctx.n }, (_, i) => i), ctx.concurrency, async (i) => {
      const p = await runPod(cri, `${label}-b-${i}`);
      all.push(p);
      if (attach) {
        await attach(p, ctx.sequential + i);
        p.readyMs = nowMs();
      }
      return p;
    });
    if (waitReady) await waitReady(burst);
    const ready = (p: TimedPod): number => (p.readyMs ?? p.returnMs) - p.startMs;
    const t0 = Math.min(...burst.map((p) => p.startMs));
    return {
      phase: {
        sequentialRunMs: seq.map((p) => p.returnMs - p.startMs),
        sequentialReadyMs: seq.map(ready),
        burstRunMs: burst.map((p) => p.returnMs - p.startMs),
        burstReadyMs: burst.map(ready),
        sequentialWindowMs: seq.map((p) => (p.readyMs ?? p.returnMs) - p.returnMs),
        burstWindowMs: burst.map((p) => (p.readyMs ?? p.returnMs) - p.returnMs),
        burstTotalMs: Math.max(...burst.map((p) => p.readyMs ?? p.returnMs)) - t0,
      },
      pods: all,
    };
  } catch (err) {
    await removePods(cri, all, ctx.concurrency);
    throw err;
  }
}

async function floorPhase(ctx: Ctx): Promise<Phase> {
  const { phase, pods } = await sequentialAndBurst(ctx, 'floor', undefined, undefined);
  await removePods(ctx.env, pods, ctx.concurrency);
  return phase;
}

async function classicPhase(ctx: Ctx): Promise<Phase> {
  await ctx.sb.vsctl('--if-exists', 'del-br', CLASSIC_BRIDGE);
  await ctx.sb.addBridge(CLASSIC_BRIDGE);
  const { phase, pods } = await sequentialAndBurst(ctx, 'classic', (p, i) => classicAttach(ctx, p, i), undefined);
  // Correctness: a pod has the address on net1.
  const addrs = (await run('ip', ['-br', 'addr', 'show', 'dev', IF_NAME], { netns: pods[pods.length - 1]!.netns })).stdout;
  if (!addrs.includes('10.79.')) throw new Error(`classic: ${IF_NAME} has no tenant address: ${addrs}`);
  await removePods(ctx.env, pods, ctx.concurrency);
  await ctx.sb.vsctl('--if-exists', 'del-br', CLASSIC_BRIDGE);
  return phase;
}

async function agentPhase(ctx: Ctx): Promise<Phase & { agent: Record<string, number> }> {
  const { env: cri, log } = ctx;
  const { agent, scrape } = await startRuntimeAgent(ctx, {
    manifestFile: 'cri.yaml', manifest: MANIFEST, bridge: AGENT_BRIDGE, metricsPort: AGENT_METRICS_PORT,
    runtimeFlags: ['--cri-socket', cri.socket, '--cri-netns-dir', cri.netnsDir],
  });
  const died = agent.exited();
  died.catch(() => undefined);
  const tracker = new ReadyTracker(ctx.monitor);
  let pods: TimedPod[] = [];
  try {
    log(`nsvswitch (pid ${agent.pid ?? '?'})`);
    const waitReady = async (ps: TimedPod[]): Promise<void> => {
      await Promise.race([died, tracker.waitFor(`${ps.length} pods tenant-ready`, ps.map((p) => p.id), READY_TIMEOUT_MS)]);
      for (const p of ps) p.readyMs = tracker.at(p.id);
    };
    const before = await scrape();
    const r = await sequentialAndBurst(ctx, 'nsvswitch', undefined, waitReady);
    const agentMetrics = agentBreakdown(before, await scrape());
    pods = r.pods;
    const last = pods[pods.length - 1]!;
    const addrs = (await run('ip', ['-br', 'addr', 'show', 'dev', IF_NAME], { netns: last.netns })).stdout;
    if (!addrs.includes('10.79.')) throw new Error(`nsvswitch: ${IF_NAME} has no tenant address: ${addrs}`);
    return { ...r.phase, agent: agentMetrics };
  } finally {
    tracker.stop();
    await removePods(cri, pods, ctx.concurrency);
    await ctx.monitor.waitFor('nsvswitch ports removed', (rep) => ReadyTracker.containerRows(rep) === 0, 60_000).catch((err: unknown) => log(`ports not all removed: ${String(err)}`));
    await agent.stop();
  }
}

const f = (ms: number): string => ms.toFixed(0);
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;

function tables(p: { floor: Phase; classic: Phase; nsvswitch: Phase & { agent: Record<string, number> } }, n: number, concurrency: number): { tables: Table[]; ratios: Record<string, number> } {
  const s = (xs: number[]): Summary => summarize(xs);
  const row = (name: string, run: number[], ready: number[]): string[] => {
    const a = s(run);
    const b = s(ready);
    return [name, f(a.p50), f(a.p95), f(b.p50), f(b.p95)];
  };
  const per: Table = {
    title: `RunPodSandbox → tenant-ready, per pod (ms); sequential, then a burst of ${n} (${concurrency} at once)`,
    headers: ['phase', 'run p50', 'run p95', 'ready p50', 'ready p95'],
    rows: [
      row('floor, sequential (RunPodSandbox alone)', p.floor.sequentialRunMs, p.floor.sequentialReadyMs),
      row('classic, sequential (+ veth, ip, ovs-vsctl add-port)', p.classic.sequentialRunMs, p.classic.sequentialReadyMs),
      row('nsvswitch, sequential', p.nsvswitch.sequentialRunMs, p.nsvswitch.sequentialReadyMs),
      row('floor, burst', p.floor.burstRunMs, p.floor.burstReadyMs),
      row('classic, burst', p.classic.burstRunMs, p.classic.burstReadyMs),
      row('nsvswitch, burst', p.nsvswitch.burstRunMs, p.nsvswitch.burstReadyMs),
    ],
    notes: ['ready: floor = RunPodSandbox returned; classic = add-port returned (ovs-vswitchd applied it); nsvswitch = nsvswitch-installed=true and an ofport seen in OVSDB'],
  };
  const win = (name: string, xs: number[]): string[] => {
    const w = s(xs);
    return [name, f(w.p50), f(w.p95), f(w.max)];
  };
  const window: Table = {
    title: 'The window: RunPodSandbox returned → tenant interface ready (ms; the kubelet may start app containers in it)',
    headers: ['contender', 'p50', 'p95', 'max'],
    rows: [
      win('classic, one at a time', p.classic.sequentialWindowMs),
      win('nsvswitch, one at a time', p.nsvswitch.sequentialWindowMs),
      win('classic, burst', p.classic.burstWindowMs),
      win('nsvswitch, burst', p.nsvswitch.burstWindowMs),
    ],
  };
  const ratios = {
    sequentialReadyP50VsFloor: s(p.nsvswitch.sequentialReadyMs).p50 / s(p.floor.sequentialRunMs).p50,
    burstReadyP50VsFloor: s(p.nsvswitch.burstReadyMs).p50 / s(p.floor.burstRunMs).p50,
    burstTotalVsFloor: p.nsvswitch.burstTotalMs / p.floor.burstTotalMs,
    classicSequentialReadyP50VsFloor: s(p.classic.sequentialReadyMs).p50 / s(p.floor.sequentialRunMs).p50,
    classicBurstTotalVsFloor: p.classic.burstTotalMs / p.floor.burstTotalMs,
    classicBurstTotalVsNsvswitch: p.classic.burstTotalMs / p.nsvswitch.burstTotalMs,
  };
  const burst: Table = {
    title: `Burst of ${n} pods: first RunPodSandbox → last pod tenant-ready (ms), and ratios`,
    headers: ['measure', 'value'],
    rows: [
      ['floor burst total', f(p.floor.burstTotalMs)],
      ['classic burst total', f(p.classic.burstTotalMs)],
      ['nsvswitch burst total', f(p.nsvswitch.burstTotalMs)],
      ['nsvswitch ready p50 / floor run p50 (sequential)', ratio(ratios.sequentialReadyP50VsFloor, 1)],
      ['nsvswitch ready p50 / floor run p50 (burst)', ratio(ratios.burstReadyP50VsFloor, 1)],
      ['nsvswitch burst total / floor burst total', ratio(ratios.burstTotalVsFloor, 1)],
      ['classic ready p50 / floor run p50 (sequential)', ratio(ratios.classicSequentialReadyP50VsFloor, 1)],
      ['classic burst total / floor burst total', ratio(ratios.classicBurstTotalVsFloor, 1)],
      ['classic burst total / nsvswitch burst total', ratio(ratios.classicBurstTotalVsNsvswitch, 1)],
    ],
    notes: ['goal: nsvswitch adds under 10% to RunPodSandbox time (ratios under 1.10x)'],
  };
  const agent: Table = {
    title: 'The agent during its phase (sequential pods and the burst), from its /metrics',
    headers: ['measure', 'value'],
    rows: Object.entries(p.nsvswitch.agent).map(([k, v]) => [k, Number.isInteger(v) ? String(v) : v.toFixed(3)]),
  };
  return { tables: [per, window, burst, agent], ratios };
}

runBench('cri', () => runtimeBenchMain({
  name: 'cri',
  daemon: 'containerd',
  available: criAvailable,
  needs: 'Debian\'s containerd, containernetworking-plugins and busybox-static',
  starting: 'starting a private containerd (CRI) in the sandbox\'s host namespace',
  start: (sb) => CriEnv.start(join(sb.dir, 'cri'), sb.hostNetns, { podSubnet: '172.30.0.0/20' }),
  version: async (cri) => {
    const v = await cri.api.version();
    return `${v.runtimeName} ${v.runtimeVersion} (CRI ${v.api})`;
  },
}, async (ctx) => {
  const { env: cri, n, sequential, concurrency } = ctx;
  // Warm-up: the first sandbox of a fresh runtime pays for its snapshot.
  await removePods(cri, [await runPod(cri, 'warmup')], 1);
  const floor = await floorPhase(ctx);
  if (isInterrupted()) return 130;
  const classic = await classicPhase(ctx);
  if (isInterrupted()) return 130;
  const nsvswitch = await agentPhase(ctx);
  const { tables: summary, ratios } = tables({ floor, classic, nsvswitch }, n, concurrency);
  return {
    params: { n, sequential, concurrency, runtime: ctx.version, agent: ctx.agentNote, bridge: AGENT_BRIDGE, datapathType: 'netdev', interface: IF_NAME },
    results: { floor, classic, nsvswitch, ratios },
    summary,
  };
}));
