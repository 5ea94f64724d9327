import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../../src/exec/run.js';
import { ExternalIds } from '../../../src/core/ownership.js';
import { benchNames, BENCH_SUBNET, inSubnet } from '../addresses.js';
import { AgentProcess } from '../agent-process.js';
import { InterfaceMonitor } from '../interface-monitor.js';
import type { InterfaceRow } from '../interface-replica.js';
import { interfaceProblems, readNsInterface, spotIndices } from '../netns-check.js';
import { startBenchSandbox } from '../sandbox.js';
import { PrivateNetnsDir } from '../../../src/sandbox/private-netns-dir.js';
import { httpGetInNetns } from '../http-in-netns.js';
import { parsePromText, sampleDelta, sampleKey, sumDelta, type PromSamples } from '../prom-text.js';
import { nowMs, pollUntil } from '../timing.js';
import { VerificationError, type Contender } from './types.js';

export const AGENT_IF_NAME = 'eth0';
export const AGENT_MTU = 1500;
const NS_PREFIX = 'bench-';
/** How long the agent may take to create its bridge and report ready after start. */
const AGENT_READY_TIMEOUT_MS = 30_000;
/** Any port works: the agent listens inside the sandbox's fresh host namespace, where nothing else does. */
const AGENT_METRICS_PORT = 19477;

/** The bench tenant: every bench-* namespace, one /16, no gateway (the peer and floor set none either). */
export function benchManifest(): string {
  return [
    'apiVersion: nsvswitch/v1',
    'kind: Tenant',
    'metadata: { name: bench }',
    'spec:',
    '  id: 7701',
    `  subnet: ${BENCH_SUBNET}`,
    `  namespaces: ["${NS_PREFIX}*"]`,
    `  interface: { name: ${AGENT_IF_NAME}, mtu: ${AGENT_MTU} }`,
    '',
  ].join('\n');
}

/** `nsvswitch run` flags for an agent on the bench sandbox (metrics on AGENT_METRICS_PORT unless `metricsPort`). */
export function agentArgs(o: { dbEndpoint: string; ovsRundir: string; bridge: string; manifestDir: string; namespaceDir: string; hostNetns: string; metricsPort?: number }): string[] {
  return [
    '--ovsdb', o.dbEndpoint,
    '--ovs-rundir', o.ovsRundir,
    '--bridge', o.bridge,
    '--datapath-type', 'netdev',
    '--manifest-dir', o.manifestDir,
    '--namespace-dir', o.namespaceDir,
    '--host-netns', o.hostNetns,
    '--metrics-listen', `127.0.0.1:${o.metricsPort ?? AGENT_METRICS_PORT}`,
    '--log-level', 'warn',
  ];
}

/**
 * Where the agent's time went during the burst, from its own metrics (the
 * difference between a scrape before the namespaces were created and one
 * after the last port was ready). Missing metrics are left out.
 */
export function agentBreakdown(before: PromSamples, after: PromSamples): Record<string, number> {
  const d = (key: string): number | undefined => sampleDelta(before, after, key);
  const entries: [string, number | undefined][] = [
    ['reconcile passes', d('nsvswitch_reconcile_duration_seconds_count')],
    ['reconcile time (s)', d('nsvswitch_reconcile_duration_seconds_sum')],
    ['OVSDB writes', d(sampleKey('nsvswitch_ovsdb_transactions_total', { kind: 'write', result: 'ok' }))],
    ['OVSDB write time (s)', d(sampleKey('nsvswitch_ovsdb_transaction_duration_seconds_sum', { kind: 'write' }))],
    ['flow syncs', d('nsvswitch_flow_sync_duration_seconds_count')],
    ['flow sync time (s)', d('nsvswitch_flow_sync_duration_seconds_sum')],
    ['flow mods', sumDelta(before, after, 'nsvswitch_flow_mods_total')],
    ['process spawns', sumDelta(before, after, 'nsvswitch_process_spawns_total')],
    ['spawns: ip', d(sampleKey('nsvswitch_process_spawns_total', { program: 'ip' }))],
    ['spawns: nsenter', d(sampleKey('nsvswitch_process_spawns_total', { program: 'nsenter' }))],
    ['spawns: ovs-ofctl', d(sampleKey('nsvswitch_process_spawns_total', { program: 'ovs-ofctl' }))],
    ['attach latency mean (s)', ratioOf(d('nsvswitch_attach_latency_seconds_sum'), d('nsvswitch_attach_latency_seconds_count'))],
    ['reconcile errors', sumDelta(before, after, 'nsvswitch_reconcile_errors_total')],
    ['agent CPU (s)', d('nsvswitch_process_cpu_seconds_total')],
    ['agent RSS after (MiB)', mib(after.get('nsvswitch_process_resident_memory_bytes'))],
    // Where the passes' time went, stage by stage (plan, plug, record, flows, ready, ...).
    ...[...after.keys()].flatMap((k): [string, number | undefined][] => {
      const m = /^nsvswitch_reconcile_stage_seconds_sum\{stage="([^"]*)"\}$/.exec(k);
      return m?.[1] !== undefined ? [[`pass stage ${m[1]} (s)`, d(k)]] : [];
    }),
  ];
  return Object.fromEntries(entries.filter((e): e is [string, number] => e[1] !== undefined && Number.isFinite(e[1])));
}

function ratioOf(a: number | undefined, b: number | undefined): number | undefined {
  return a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
}

function mib(bytes: number | undefined): number | undefined {
  return bytes === undefined ? undefined : bytes / (1024 * 1024);
}

/** A row the agent owns for the namespace at `nsPath` (it records the path, possibly as path#inode). */
function rowOf(rows: readonly InterfaceRow[], nsPath: string): InterfaceRow | undefined {
  return rows.find((r) => {
    const v = r.externalIds[ExternalIds.netns];
    return v === nsPath || (v?.startsWith(`${nsPath}#`) ?? false);
  });
}

function ready(row: InterfaceRow): boolean {
  return row.externalIds[ExternalIds.installed] === 'true' && row.ofport !== undefined && row.ofport > 0;
}

export interface NsvswitchOptions {
  /** The agent's CLI entry (default: this checkout's bin/nsvswitch.js), e.g. to bench a built copy. */
  readonly agentBin?: string;
  /** The agent's `--plumbing` mode (default: its own default, auto). */
  readonly plumbing?: 'auto' | 'native' | 'process';
  /** The name the outcome carries (default nsvswitch). */
  readonly name?: 'nsvswitch' | 'nsvswitch-process' | 'nsvswitch-bind';
  /**
   * How the namespaces come to be: `create` (default) one `unshare --net=PATH` each while the agent watches, all
   * timed; `bind` made beforehand in a staging directory the agent does not watch (untimed), then bound onto
   * their files in the watched one by one process (timed from its spawn).
   */
  readonly appear?: 'create' | 'bind';
}

/**
 * Binds each staged namespace onto its file in the watched directory (creating the file first), in one process:
 * python's ctypes mount(2), paths as argv, never as script text.
 */
const BIND_SCRIPT = [
  'import ctypes, os, sys',
  'libc = ctypes.CDLL(None, use_errno=True)',
  'args = sys.argv[1:]',
  'for src, dst in zip(args[0::2], args[1::2]):',
  '    os.close(os.open(dst, os.O_CREAT | os.O_WRONLY, 0o644))',
  '    if libc.mount(src.encode(), dst.encode(), None, 4096, None) != 0:',
  '        e = ctypes.get_errno(); raise OSError(e, os.strerror(e), dst)',
].join('\n');

async function bindNamespaces(staged: readonly string[], targets: readonly string[]): Promise<void> {
  await run('/usr/bin/python3', ['-c', BIND_SCRIPT, ...staged.flatMap((s, i) => [s, targets[i] as string])]);
}

/**
 * nsvswitch itself: the agent runs first, then the namespaces are created
 * and the clock runs from the start of their creation (the agent reacts to
 * it) until every port carries the ready marker.
 */
export function nsvswitchContender(opts: NsvswitchOptions = {}): Contender {
  const name = opts.name ?? 'nsvswitch';
  return async ({ n, bridge, timeoutMs, log }) => {
    const names = benchNames(NS_PREFIX, n);
    const { sb, stop } = await startBenchSandbox('burst-nsvs');
    let agent: AgentProcess | undefined;
    let monitor: InterfaceMonitor | undefined;
    let cleanupStaging: (() => Promise<void> | undefined) | undefined;
    try {
      const manifestDir = join(sb.dir, 'manifests');
      await mkdir(manifestDir, { recursive: true });
      await writeFile(join(manifestDir, 'bench.yaml'), benchManifest());
      agent = AgentProcess.start(
        [...agentArgs({ dbEndpoint: sb.dbEndpoint, ovsRundir: sb.dir, bridge, manifestDir, namespaceDir: sb.netnsDir.dir, hostNetns: sb.hostNetns }), ...(opts.plumbing ? ['--plumbing', opts.plumbing] : [])],
        sb.hostNetns,
        sb.env,
        opts.agentBin,
      );
      const a = agent;
      const died = a.exited();
      died.catch(() => undefined);
      await Promise.race([
        died,
        pollUntil('nsvswitch: agent creating its bridge', async () => {
          if (!a.running) throw new Error(`agent exited: ${a.lastLines()}`);
          const r = await run('ovs-vsctl', [`--db=${sb.dbEndpoint}`, 'br-exists', bridge], { env: sb.env, okExitCodes: [2] });
          return r.exitCode === 0 ? true : undefined;
        }, AGENT_READY_TIMEOUT_MS, 100),
      ]);
      const metricsUrl = `http://127.0.0.1:${AGENT_METRICS_PORT}`;
      await Promise.race([
        died,
        pollUntil('nsvswitch: agent /readyz', async () => {
          if (!a.running) throw new Error(`agent exited: ${a.lastLines()}`);
          return (await httpGetInNetns(sb.hostNetns, `${metricsUrl}/readyz`))?.status === 200 ? true : undefined;
        }, AGENT_READY_TIMEOUT_MS, 200),
      ]);
      monitor = await InterfaceMonitor.start(sb.dbEndpoint, sb.env);
      const m = monitor;
      const scrape = async (): Promise<PromSamples> => parsePromText((await httpGetInNetns(sb.hostNetns, `${metricsUrl}/metrics`))?.body ?? '');
      const metricsBefore = await scrape();
      let staging: PrivateNetnsDir | undefined;
      let staged: string[] = [];
      if (opts.appear === 'bind') {
        staging = await PrivateNetnsDir.create(join(sb.dir, 'staging'));
        cleanupStaging = () => staging?.destroy();
        staged = await staging.add(...names);
      }
      log(`nsvswitch: agent pid ${a.pid ?? '?'} ready; ${opts.appear === 'bind' ? 'binding' : 'creating'} ${n} namespaces`);

      const t0 = nowMs();
      let paths: string[];
      if (opts.appear === 'bind') {
        paths = names.map((x) => sb.netnsDir.path(x));
        await bindNamespaces(staged, paths);
      } else {
        paths = await sb.netnsDir.add(...names);
      }
      const creationMs = nowMs() - t0;
      const want = new Set(paths);
      const allReady = (rep: Map<string, InterfaceRow>): boolean => {
        let k = 0;
        for (const r of rep.values()) {
          const v = r.externalIds[ExternalIds.netns];
          if (v !== undefined && ready(r) && want.has(v.split('#')[0] ?? v)) k++;
        }
        return k >= n;
      };
      const doneAt = await Promise.race([died, m.waitFor(`nsvswitch: ${n} ports ready`, allReady, timeoutMs)]);
      const totalMs = doneAt - t0;
      const agentMetrics = agentBreakdown(metricsBefore, await scrape());

      const problems: string[] = [];
      const rows = [...m.replica.values()];
      const spots = spotIndices(n);
      for (const i of spots) {
        const nsPath = paths[i] as string;
        const row = rowOf(rows, nsPath);
        if (!row || !ready(row)) {
          problems.push(`namespace ${nsPath}: no ready port on bridge ${bridge}`);
          continue;
        }
        const br = (await sb.vsctl('port-to-br', row.name)).trim();
        if (br !== bridge) problems.push(`port ${row.name}: on bridge ${br}, expected ${bridge}`);
        const state = await readNsInterface(nsPath, AGENT_IF_NAME);
        const recorded = row.externalIds[ExternalIds.ip]?.split('/')[0];
        problems.push(...interfaceProblems(nsPath, AGENT_IF_NAME, state, { mtu: AGENT_MTU }));
        const have = (state?.ipv4 ?? []).map((x) => x.split('/')[0] ?? '');
        if (recorded !== undefined && !have.includes(recorded)) problems.push(`namespace ${nsPath}: ${AGENT_IF_NAME} lacks the recorded address ${recorded}`);
        if (!have.some((ip) => inSubnet(ip, BENCH_SUBNET))) problems.push(`namespace ${nsPath}: no address in ${BENCH_SUBNET}`);
      }
      if (problems.length) throw new VerificationError(name, problems);
      return {
        contender: name,
        status: 'ok',
        n,
        measuredN: n,
        extrapolated: false,
        totalMs,
        perNsMs: totalMs / n,
        creationMs,
        beyondCreationMs: totalMs - creationMs,
        stages: { [opts.appear === 'bind' ? 'namespaces bound into the watched directory' : 'namespaces created']: creationMs, 'all ports ready (nsvswitch-installed=true)': totalMs },
      agentMetrics,
        verified: { spotChecked: spots.length, portsAttached: rows.filter(ready).length },
        notes: [],
      };
    } finally {
      await monitor?.stop();
      await agent?.stop();
      // The staged originals (their mounts live in the sandbox's directory), then the sandbox.
      await cleanupStaging?.();
      await stop();
    }
  };
}
