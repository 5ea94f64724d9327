import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { OvsSandbox } from '../../src/sandbox/ovs-sandbox.js';
import { AgentProcess } from './agent-process.js';
import { privateAgentBuild } from './agent-build.js';
import { parsePositiveInts } from './burst/args.js';
import { agentArgs } from './burst/nsvswitch.js';
import { deferCleanup, installSignalCleanup } from './cleanup.js';
import { httpGetInNetns } from './http-in-netns.js';
import { InterfaceMonitor } from './interface-monitor.js';
import { parsePromText, type PromSamples } from './prom-text.js';
import { machineInfo, publishResult } from './results.js';
import { startBenchSandbox } from './sandbox.js';
import type { Table } from './table.js';
import { pollUntil } from './timing.js';

/** How long the agent may take from its start to /readyz 200. */
const AGENT_READY_TIMEOUT_MS = 60_000;

export type Log = (msg: string) => void;

/** A private container runtime (test/helpers DockerEnv, CriEnv): its API socket and where it pins namespace files. */
export interface RuntimeEnv {
  readonly socket: string;
  readonly netnsDir: string;
  stop(): Promise<void>;
}

/** What differs between the runtime benches (bench/docker.ts, bench/cri.ts) before and after they measure. */
export interface RuntimeBenchSpec<E extends RuntimeEnv, K extends string> {
  /** The result file, the sandbox label and the log prefix: `docker`, `cri`. */
  readonly name: string;
  /** The runtime's daemon (`dockerd`, `containerd`), in the cleanup label and the teardown message. */
  readonly daemon: string;
  readonly available: () => boolean;
  /** What the bench needs when `available` is false (after `bench/<name>.ts needs `). */
  readonly needs: string;
  /** Size flags beyond --n, --sequential and --concurrency, with their defaults (docker: --rounds 1). */
  readonly moreSizes?: Readonly<Record<K, string>>;
  /** The log line before the runtime starts. */
  readonly starting: string;
  /** The runtime, started under the sandbox's dir in its host namespace. */
  readonly start: (sb: OvsSandbox) => Promise<E>;
  /** The runtime's name and version, for the result's params. */
  readonly version: (env: E) => Promise<string>;
}

/** A runtime bench's setup: its sizes, a compiled agent, a private OVS with the runtime and one Interface monitor. */
export interface RuntimeBench<E extends RuntimeEnv, K extends string = never> {
  readonly n: number;
  readonly sequential: number;
  readonly concurrency: number;
  readonly sizes: Readonly<Record<K, number>>;
  readonly sb: OvsSandbox;
  readonly env: E;
  readonly monitor: InterfaceMonitor;
  readonly agentBin: string;
  /** How the agent was built, for the result's params. */
  readonly agentNote: string;
  readonly version: string;
  readonly log: Log;
}

/** What a finished run publishes (beside its name, times and machine). */
export interface RuntimeBenchOutcome {
  readonly params: Readonly<Record<string, unknown>>;
  readonly results: unknown;
  readonly summary: readonly Table[];
}

/**
 * A runtime bench's main: `--n 100 --sequential 20 --concurrency 10 [more sizes] [--agent-bin PATH]`, the machine,
 * a compiled agent, the sandbox and the runtime, then `measure`; its outcome is published (a number is the
 * exit code, nothing published: 130 for an interrupted run). Everything is undone however it ends.
 */
export async function runtimeBenchMain<E extends RuntimeEnv, K extends string = never>(
  spec: RuntimeBenchSpec<E, K>,
  measure: (b: RuntimeBench<E, K>) => Promise<RuntimeBenchOutcome | number>,
): Promise<number> {
  const defaults: Record<string, string> = { n: '100', sequential: '20', concurrency: '10', ...spec.moreSizes };
  const options: NonNullable<ParseArgsConfig['options']> = { 'agent-bin': { type: 'string' } };
  for (const [flag, value] of Object.entries(defaults)) options[flag] = { type: 'string', default: value };
  const { values } = parseArgs({ options });
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const sizes = Object.fromEntries(Object.keys(defaults).map((flag) => [flag, parsePositiveInts(`--${flag}`, text(values[flag]))[0] ?? 1])) as Record<'n' | 'sequential' | 'concurrency' | K, number>;
  if (!spec.available()) throw new Error(`bench/${spec.name}.ts needs ${spec.needs}`);
  installSignalCleanup();
  const startedAt = new Date().toISOString();
  const machine = await machineInfo();
  const t0 = Date.now();
  const log: Log = (msg) => void process.stderr.write(`[${spec.name} +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
  log(`${machine.cpus} CPUs (${machine.cpuModel}), load ${machine.loadAvg1m.toFixed(2)}, ${machine.ovs}`);

  // A compiled copy of the agent (src/ may change under a long run; tsx would be measured with it).
  const given = text(values['agent-bin']);
  const entry = await privateAgentBuild(log, given !== undefined ? resolve(given) : undefined);
  const { sb, stop } = await startBenchSandbox(spec.name);
  let env: E | undefined;
  const stopEnv = deferCleanup(`bench ${spec.daemon}`, async () => {
    await env?.stop();
  });
  let monitor: InterfaceMonitor | undefined;
  try {
    log(spec.starting);
    env = await spec.start(sb);
    const version = await spec.version(env);
    monitor = await InterfaceMonitor.start(sb.dbEndpoint, sb.env);
    const { n, sequential, concurrency } = sizes;
    const outcome = await measure({ n, sequential, concurrency, sizes, sb, env, monitor, agentBin: entry.bin, agentNote: entry.note, version, log });
    if (typeof outcome === 'number') return outcome;
    await publishResult({ name: spec.name, startedAt, finishedAt: new Date().toISOString(), machine, ...outcome });
    return 0;
  } finally {
    await monitor?.stop();
    await stopEnv().catch((err: unknown) => log(`${spec.daemon} teardown: ${String(err)}`));
    await stop();
    await entry.dispose();
  }
}

/** `nsvswitch run` against the bench's runtime, with one tenant manifest, up to /readyz 200. */
export interface RuntimeAgentOptions {
  /** The manifest's file name in the sandbox's manifests/ dir, and its text. */
  readonly manifestFile: string;
  readonly manifest: string;
  readonly bridge: string;
  /** The runtime's flags (`--docker-socket S --docker-netns-dir D`, `--cri-socket ...`). */
  readonly runtimeFlags: readonly string[];
  /** Any free port: the agent listens inside the sandbox's fresh host namespace. */
  readonly metricsPort: number;
}

/** The agent started and ready (stopped again if it never got ready), and a scrape of its /metrics. */
export async function startRuntimeAgent<E extends RuntimeEnv>(b: Pick<RuntimeBench<E>, 'sb' | 'env' | 'agentBin'>, o: RuntimeAgentOptions): Promise<{ agent: AgentProcess; scrape: () => Promise<PromSamples> }> {
  const { sb, env } = b;
  const manifestDir = join(sb.dir, 'manifests');
  await mkdir(manifestDir, { recursive: true });
  await writeFile(join(manifestDir, o.manifestFile), o.manifest);
  const args = [
    ...agentArgs({ dbEndpoint: sb.dbEndpoint, ovsRundir: sb.dir, bridge: o.bridge, manifestDir, namespaceDir: env.netnsDir, hostNetns: sb.hostNetns, metricsPort: o.metricsPort }),
    ...o.runtimeFlags,
  ];
  const agent = AgentProcess.start(args, sb.hostNetns, sb.env, b.agentBin);
  const url = `http://127.0.0.1:${o.metricsPort}`;
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
