import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExternalIds } from '../../../src/core/ownership.js';
import { tenantYaml } from '../../../test/helpers/agent-env.js';
import type { OvnHost } from '../../../test/helpers/ovn-env.js';
import { AgentProcess } from '../agent-process.js';
import { httpGetInNetns } from '../http-in-netns.js';
import type { InterfaceRow } from '../interface-replica.js';
import { readNsInterface } from '../netns-check.js';
import { agentStages, type AgentStages } from '../agent-stages.js';
import { parsePromText, type PromSamples } from '../prom-text.js';
import { summarize } from '../stats.js';
import { nowMs, pollUntil } from '../timing.js';
import { MarkerTracker } from './marker-tracker.js';
import { labelledDelta, latencies, raftDelta, settledRaft, verifyTraffic, watchNewFiles, WORKLOAD_IF, workloadName, type OvnBenchCtx } from './phase.js';
import type { OvnPhase } from './report.js';

/** The bench tenant on every host: the same manifest everywhere. */
const TENANT = { name: 'obench', id: 4711, subnet: '10.81.0.0/16', glob: 'ob*' } as const;
const NS_PREFIX = 'ob';
/** The agent listens inside its host's private namespace: the same port on every host is fine. */
const METRICS_PORT = 19480;
const AGENT_READY_TIMEOUT_MS = 120_000;
/** How long the agents may take to remove their ports after the namespaces went. */
const REMOVAL_TIMEOUT_MS = 180_000;

/** The manifest dir of every host (the same tenant file on each), written once per run. */
export async function writeManifests(hosts: readonly OvnHost[]): Promise<string[]> {
  return Promise.all(hosts.map(async (h) => {
    const dir = join(h.rundir, 'bench-tenants');
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await writeFile(join(dir, `${TENANT.name}.yaml`), tenantYaml(TENANT.name, TENANT.id, TENANT.subnet, [TENANT.glob]), { mode: 0o644 });
    return dir;
  }));
}

/** The namespace path an agent-owned Interface records (path#inode → path). */
const nsOf = (row: InterfaceRow): string | undefined => row.externalIds[ExternalIds.netns]?.split('#')[0];

async function scrape(h: OvnHost): Promise<PromSamples> {
  return parsePromText((await httpGetInNetns(h.hostNetns, `http://127.0.0.1:${METRICS_PORT}/metrics`))?.body ?? '');
}

async function startAgent(ctx: OvnBenchCtx, h: OvnHost, manifestDir: string, agentBin: string): Promise<AgentProcess> {
  const agent = AgentProcess.start([...ctx.env.agentArgs(h, manifestDir), '--metrics-listen', `127.0.0.1:${METRICS_PORT}`], h.hostNetns, h.env, agentBin);
  const died = agent.exited();
  died.catch(() => undefined);
  try {
    await Promise.race([died, pollUntil(`nsvswitch on ${h.name}: /readyz`, async () => {
      if (!agent.running) throw new Error(`agent on ${h.name} exited: ${agent.lastLines(10)}`);
      return (await httpGetInNetns(h.hostNetns, `http://127.0.0.1:${METRICS_PORT}/readyz`))?.status === 200 ? true : undefined;
    }, AGENT_READY_TIMEOUT_MS, 500)]);
  } catch (err) {
    await agent.stop();
    throw err;
  }
  return agent;
}

/**
 * nsvswitch: one agent per host (in the host's namespace, the same
 * manifests), started before the burst; then N namespaces per host are
 * created (one loop per host, every host at once). Each workload is timed
 * from its namespace file appearing to ovn-installed on its Interface, the
 * burst from the loops' spawn to the last ovn-installed; the agent's own
 * ready marker (nsvswitch-installed, set after ovn-installed) beside it.
 */
export async function nsvswitchPhase(ctx: OvnBenchCtx, round: number, o: { agentBin: string; manifestDirs: readonly string[] }): Promise<OvnPhase> {
  const { env, n, log } = ctx;
  const hosts = env.hosts;
  const names = hosts.map((_, hi) => Array.from({ length: n }, (_, i) => workloadName(NS_PREFIX, round, hi, i)));
  const paths = hosts.map((h, hi) => names[hi]!.map((nm) => h.workloads.path(nm)));
  const agents: AgentProcess[] = [];
  const installed = ctx.monitors.map((m) => new MarkerTracker(m, nsOf));
  const ready = ctx.monitors.map((m) => new MarkerTracker(m, nsOf, ExternalIds.installed));
  try {
    log('nsvswitch: starting one agent per host');
    const started = await Promise.allSettled(hosts.map((h, hi) => startAgent(ctx, h, o.manifestDirs[hi]!, o.agentBin)));
    for (const r of started) if (r.status === 'fulfilled') agents.push(r.value);
    const refused = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (refused) throw refused.reason;
    const died = Promise.race(agents.map((a) => a.exited()));
    died.catch(() => undefined);
    const metricsBefore = await Promise.all(hosts.map(scrape));
    const before = await settledRaft(env);
    log(`nsvswitch: agents ${agents.map((a) => a.pid ?? '?').join(', ')} ready; creating ${hosts.length} × ${n} namespaces`);
    // Each workload's clock starts when its namespace file appears (the event the agent reacts to too);
    // the files are made by one loop per host (`: > FILE; unshare --net=FILE true`), as in the burst bench.
    const starts = new Map<string, number>();
    const watches = hosts.map((h, hi) => watchNewFiles(h.workloads.dir, new Set(names[hi]!), starts));
    const burstStart = nowMs();
    try {
      await Promise.race([died, Promise.all(hosts.map((h, hi) => h.workloads.add(...names[hi]!)))]);
    } finally {
      for (const close of watches) close();
    }
    const createdAt = nowMs();
    const unseen = paths.flat().filter((p) => !starts.has(p));
    if (unseen.length > 0) throw new Error(`nsvswitch: the bench saw no creation event for ${unseen.length} namespace file(s), e.g. ${unseen[0]}`);
    await Promise.race([died, Promise.all([
      ...installed.map((t, hi) => t.waitAll(`nsvswitch: ovn-installed on host ${hosts[hi]!.name}`, paths[hi]!, ctx.timeoutMs)),
      ...ready.map((t, hi) => t.waitAll(`nsvswitch: ready marker on host ${hosts[hi]!.name}`, paths[hi]!, ctx.timeoutMs)),
    ])]);
    const stops = new Map(installed.flatMap((t) => [...t.stamps]));
    const readyStops = new Map(ready.flatMap((t) => [...t.stamps]));
    const { latencyMs } = latencies(starts, new Map([...starts.keys()].map((k) => [k, stops.get(k)!])));
    const lastInstalled = Math.max(...[...starts.keys()].map((k) => stops.get(k)!));
    const totalMs = lastInstalled - burstStart;
    const readyLat = latencies(starts, new Map([...starts.keys()].map((k) => [k, readyStops.get(k)!])));
    const lag = [...starts.keys()].map((k) => readyStops.get(k)! - stops.get(k)!);
    const raft = raftDelta(before, await settledRaft(env));
    const metricsAfter = await Promise.all(hosts.map(scrape));
    const sum = (f: (b: PromSamples, a: PromSamples) => number | undefined): number | undefined => {
      const xs = hosts.map((_, hi) => f(metricsBefore[hi]!, metricsAfter[hi]!));
      return xs.every((x) => x === undefined) ? undefined : xs.reduce<number>((s, x) => s + (x ?? 0), 0);
    };
    const workloads = hosts.length * n;
    const nbWrites = sum((b, a) => labelledDelta(b, a, 'nsvswitch_ovn_nb_transactions_total', { kind: 'write' }));
    const nbReads = sum((b, a) => labelledDelta(b, a, 'nsvswitch_ovn_nb_transactions_total', { kind: 'read' }));
    const stages = hosts.map((_, hi) => agentStages(metricsBefore[hi]!, metricsAfter[hi]!));
    const total = (f: (s: AgentStages) => number): number => stages.reduce((acc, s) => acc + f(s), 0);
    const verified = await verify(ctx, paths);
    const extra: Record<string, number> = {
      'ready marker (nsvswitch-installed) p50 ms': summarize(readyLat.latencyMs).p50,
      'ready marker p95 ms': summarize(readyLat.latencyMs).p95,
      'ready marker burst total ms': Math.max(...[...starts.keys()].map((k) => readyStops.get(k)!)) - burstStart,
      'ovn-installed → ready marker p50 ms': summarize(lag).p50,
      'namespaces created (ms from the burst start)': createdAt - burstStart,
    };
    const put = (k: string, v: number | undefined): void => {
      if (v !== undefined) extra[k] = v;
    };
    put('agent NB write transactions per workload', nbWrites === undefined ? undefined : nbWrites / workloads);
    put('agent NB read transactions per workload', nbReads === undefined ? undefined : nbReads / workloads);
    put('agent local OVSDB writes per workload', total((x) => x.ovsdbWrites) / workloads);
    put('agent process spawns per workload', total((x) => x.spawns) / workloads);
    put('agent reconcile passes (all hosts)', total((x) => x.passes));
    put('agent reconcile time ms (all hosts)', total((x) => x.reconcileMs));
    for (const stage of [...new Set(stages.flatMap((x) => Object.keys(x.passStageMs)))].sort()) put(`agent pass stage ${stage} ms (all hosts)`, total((x) => x.passStageMs[stage] ?? 0));
    put('agent CPU ms (all hosts)', total((x) => x.cpuMs));
    const tailMs = lastInstalled - createdAt;
    extra['beyond namespace creation (last created → last ovn-installed) ms'] = tailMs;
    return { contender: 'nsvswitch', round, hosts: hosts.length, n, latencyMs, totalMs, tailMs, ...raft, extra, verified };
  } finally {
    for (const t of [...installed, ...ready]) t.stop();
    await removeWorkloads(ctx, names, paths, agents);
    await Promise.all(agents.map((a) => a.stop()));
  }
}

/** Every workload has one logical port of ours, addresses unique across hosts, and traffic flows between two hosts. */
async function verify(ctx: OvnBenchCtx, paths: readonly (readonly string[])[]): Promise<string[]> {
  const { env, n } = ctx;
  const want = new Set(paths.flat());
  const rows = await env.rows('nb', 'Logical_Switch_Port', ['name', 'addresses', 'external_ids']);
  const ours = rows.filter((r) => want.has(String((r.external_ids as Record<string, string> | undefined)?.[ExternalIds.nsKey] ?? '').split('#')[0]!));
  if (ours.length !== want.size) throw new Error(`nsvswitch: ${ours.length} logical ports for ${want.size} workloads`);
  const ips = ours.map((r) => String(Array.isArray(r.addresses) ? r.addresses[0] : r.addresses).split(' ')[1] ?? '');
  const unique = new Set(ips).size;
  if (unique !== ips.length) throw new Error(`nsvswitch: ${ips.length - unique} duplicate addresses across hosts`);
  const end = async (path: string): Promise<{ path: string; ip: string }> => {
    const st = await readNsInterface(path, WORKLOAD_IF);
    const ip = st?.ipv4[0]?.split('/')[0];
    if (!ip || !st?.up) throw new Error(`nsvswitch: namespace ${path}: ${WORKLOAD_IF} missing, down or without an address`);
    return { path, ip };
  };
  const traffic = await verifyTraffic(await end(paths[0]![0]!), await end(paths[1]![n - 1]!), { txOff: false });
  return [`${ours.length} logical ports, one per workload`, `${unique} distinct addresses across hosts`, traffic];
}

/** The namespaces removed; the agents delete their ports (waited for, bounded); the agents stay up until then. */
async function removeWorkloads(ctx: OvnBenchCtx, names: readonly (readonly string[])[], paths: readonly (readonly string[])[], agents: readonly AgentProcess[]): Promise<void> {
  const { env, log } = ctx;
  await Promise.all(env.hosts.map((h, hi) => h.workloads.remove(...names[hi]!).catch((err: unknown) => log(`cleanup: namespaces on ${h.name}: ${String(err)}`))));
  if (agents.length < env.hosts.length || agents.some((a) => !a.running)) return;
  const gone = new Set(paths.flat());
  try {
    await Promise.all(ctx.monitors.map((m, hi) => m.waitFor(`nsvswitch: ports on ${env.hosts[hi]!.name} removed`, (rep) => {
      for (const r of rep.values()) if (gone.has(nsOf(r) ?? '')) return false;
      return true;
    }, REMOVAL_TIMEOUT_MS)));
    await pollUntil('nsvswitch: logical ports removed', async () => {
      const left = (await env.nbctl('--bare', '--columns=name', 'find', 'Logical_Switch_Port', `external_ids:${ExternalIds.owner}=nsvswitch`)).trim();
      return left === '' ? true : undefined;
    }, REMOVAL_TIMEOUT_MS, 1000);
  } catch (err) {
    log(`cleanup: ${String(err)}`);
  }
}
