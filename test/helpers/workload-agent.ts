// What the tests of the agent over a real container runtime (Docker, CRI) share: the runtime started
// beside the agent's environment, a ready agent with its own metrics and a kept log, `nsvswitch trace`
// in-process, and the restart that must adopt every workload port with zero writes.
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { expect } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import trace from '../../src/cli/trace.js';
import type { AgentConfig } from '../../src/config/types.js';
import type { Logger } from '../../src/observe/logger.js';
import { Metrics } from '../../src/observe/metrics.js';
import { counterSum, eventually, type AgentEnv } from './agent-env.js';

export { counterSum };

/** An interface as `ip -j addr show` lists it. */
export interface Link {
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** The IPv4 address of `ifName` (address/prefix) among `links`. */
export function inetAddr(links: readonly Link[], ifName: string): string | undefined {
  const a = links.find((x) => x.ifname === ifName)?.addr_info?.find((x) => x.family === 'inet');
  return a ? `${a.local}/${a.prefixlen}` : undefined;
}

/** `nsvswitch trace` in-process, its output captured. */
export async function traceCmd(argv: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((x: string | Uint8Array) => out.push(String(x)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((x: string | Uint8Array) => out.push(String(x)) > 0) as typeof process.stderr.write;
  try {
    return { code: await trace(argv), out: out.join('') };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

export type LogLine = { level: number; msg: string; [k: string]: unknown };

/** The agent's log lines (JSON) kept, to check what routine workload churn logs; NSVS_SHOW_LOG=1 prints them. */
export class KeptLog {
  readonly lines: LogLine[] = [];
  readonly logger: Logger = pino({ level: 'info' }, { write: (line: string) => void this.lines.push(JSON.parse(line) as LogLine) });

  /** The messages logged at warn level or above. */
  warnings(): string[] {
    return this.lines.filter((l) => l.level >= 40).map((l) => l.msg);
  }

  show(): void {
    if (process.env.NSVS_SHOW_LOG) for (const l of this.lines) if (l.level >= 30) console.log(JSON.stringify(l));
  }
}

/** An agent with its own metrics (no HTTP), started and ready. */
export async function readyAgent(config: AgentConfig, logger: Logger): Promise<{ agent: Agent; metrics: Metrics }> {
  const metrics = new Metrics({ defaultMetrics: false });
  const agent = await Agent.start(config, { logger, http: false, metrics });
  await agent.ready;
  return { agent, metrics };
}

/** Starts a container runtime beside the agent's environment; the environment is stopped if the runtime cannot start. */
export async function startBeside<R>(env: AgentEnv, start: () => Promise<R>): Promise<R> {
  try {
    return await start();
  } catch (err) {
    await env.stop();
    throw err;
  }
}

/**
 * The agent first, then the runtime (its workloads), then the environment, even if the runtime's stop
 * fails. Without a runtime the environment was stopped already (startBeside).
 */
export async function stopBeside(agent: Agent | undefined, runtime: { stop(): Promise<void> } | undefined, env: AgentEnv | undefined): Promise<void> {
  await agent?.stop();
  await runtime?.stop().finally(() => env?.stop());
}

/**
 * Restarts the agent over the workload ports it made: once the new one has settled and made one resync,
 * it has written nothing to OVSDB, sent no flow-mod, and every port record is as it was.
 */
export async function restartWithZeroWrites(env: AgentEnv, restart: () => Promise<{ agent: Agent; metrics: Metrics }>): Promise<Agent> {
  const rowsBefore = (await env.ownedInterfaces()).map((i) => JSON.stringify(i)).sort();
  const { agent, metrics } = await restart();
  await sleep(800);
  agent.resync();
  await sleep(400);
  expect(await counterSum(metrics.ovsdbTransactions, { kind: 'write' })).toBe(0);
  expect(await counterSum(metrics.flowMods)).toBe(0);
  expect((await env.ownedInterfaces()).map((i) => JSON.stringify(i)).sort()).toEqual(rowsBefore);
  return agent;
}

/** A container runtime's daemon a test can stop and start again (its workloads live on). */
export interface RestartableRuntime {
  stopDaemon(): Promise<void>;
  startDaemon(): Promise<void>;
}

/**
 * The runtime's daemon stopped under the agent and started again: /status says it is down (with why),
 * the ports stay and a resync writes nothing while it is down (`whileDown` checks their traffic), and
 * it is connected again after, the ports still as they were.
 */
export async function runtimeRestartKeepsPorts(o: {
  readonly env: AgentEnv;
  readonly agent: Agent;
  readonly metrics: Metrics;
  readonly runtime: RestartableRuntime;
  /** How the runtime is named in the checks' descriptions ("docker", "the CRI"). */
  readonly name: string;
  readonly whileDown: () => Promise<void>;
}): Promise<void> {
  const { env, agent, metrics } = o;
  const names = async (): Promise<string[]> => (await env.ownedInterfaces()).map((i) => i.name).sort();
  const rowsBefore = await names();
  const writes = await counterSum(metrics.ovsdbTransactions, { kind: 'write' });
  await o.runtime.stopDaemon();
  await eventually(`status shows ${o.name} down`, async () => agent.status().runtimes?.[0]?.connected === false, 5000);
  expect(agent.status().runtimes![0]!.error).toBeTruthy();
  await o.whileDown();
  agent.resync();
  await sleep(300);
  expect(await names()).toEqual(rowsBefore);
  expect(await counterSum(metrics.ovsdbTransactions, { kind: 'write' })).toBe(writes);

  await o.runtime.startDaemon();
  await eventually(`${o.name} reconnected`, async () => agent.status().runtimes?.[0]?.connected === true, 15_000);
  expect(await names()).toEqual(rowsBefore);
}
