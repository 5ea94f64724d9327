import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExternalIds } from '../../src/core/ownership.js';
import type { OvsSandbox } from '../../src/sandbox/ovs-sandbox.js';
import { AgentProcess } from './agent-process.js';
import { agentArgs, benchManifest } from './burst/nsvswitch.js';
import { httpGetInNetns } from './http-in-netns.js';
import { InterfaceMonitor } from './interface-monitor.js';
import type { InterfaceReplica, InterfaceRow } from './interface-replica.js';
import { processMemory, type ProcessMemory } from './process-memory.js';
import { parsePromText, type PromSamples } from './prom-text.js';
import { ReadyzWatcher } from './readyz-watcher.js';
import { startBenchSandbox, type BenchSandboxOptions } from './sandbox.js';
import { nowMs } from './timing.js';

/** How long an agent may take from spawn to /readyz 200 before the bench gives up. */
export const AGENT_START_TIMEOUT_MS = 120_000;

/** One agent start, timed from the spawn to the first /readyz 200 (nowMs clock). */
export interface AgentStart {
  readonly agent: AgentProcess;
  readonly spawnedAt: number;
  readonly readyAt: number;
}

/** The namespace path an agent-owned Interface row records (path, or path#inode). */
export function rowNsPath(row: InterfaceRow): string | undefined {
  const v = row.externalIds[ExternalIds.netns];
  return v === undefined ? undefined : (v.split('#')[0] ?? v);
}

/** Ready in the agent's sense: the marker is set and ovs-vswitchd attached the port. */
export function rowReady(row: InterfaceRow): boolean {
  return row.externalIds[ExternalIds.installed] === 'true' && row.ofport !== undefined && row.ofport > 0;
}

/** Agent-owned rows of the replica, by namespace path. */
export function ownedRowsByNs(replica: InterfaceReplica): Map<string, InterfaceRow> {
  const out = new Map<string, InterfaceRow>();
  for (const r of replica.values()) {
    const p = rowNsPath(r);
    if (p !== undefined) out.set(p, r);
  }
  return out;
}

/**
 * `nsvswitch run` on a private OVS with the bench tenant (every bench-*
 * namespace), plus an Interface-table monitor: what the latency, restart and
 * memory benches share. The agent can be stopped and started again on the
 * same sandbox (a restart). Everything is undone by stop(), also on Ctrl-C.
 */
export class AgentBench {
  agent: AgentProcess | undefined;
  private constructor(
    readonly sb: OvsSandbox,
    readonly monitor: InterfaceMonitor,
    private readonly args: readonly string[],
    readonly metricsUrl: string,
    private readonly agentBin: string,
    private readonly stopSandbox: () => Promise<void>,
  ) {}

  /** A sandbox with the bench manifest and the Interface monitor; the agent is not started yet. */
  /** `agentArgs`: extra `nsvswitch run` flags (e.g. `--tx-checksum-offload keep`). */
  static async create(o: { label: string; bridge: string; agentBin: string; sandbox?: BenchSandboxOptions; agentArgs?: readonly string[] }): Promise<AgentBench> {
    const { sb, stop } = await startBenchSandbox(o.label, undefined, o.sandbox);
    try {
      const manifestDir = join(sb.dir, 'manifests');
      await mkdir(manifestDir, { recursive: true });
      await writeFile(join(manifestDir, 'bench.yaml'), benchManifest());
      const args = [...agentArgs({ dbEndpoint: sb.dbEndpoint, ovsRundir: sb.dir, bridge: o.bridge, manifestDir, namespaceDir: sb.netnsDir.dir, hostNetns: sb.hostNetns }), ...(o.agentArgs ?? [])];
      const listen = args[args.indexOf('--metrics-listen') + 1];
      if (listen === undefined) throw new Error('agentArgs gave no --metrics-listen');
      const monitor = await InterfaceMonitor.start(sb.dbEndpoint, sb.env);
      return new AgentBench(sb, monitor, args, `http://${listen}`, o.agentBin, stop);
    } catch (err) {
      await stop();
      throw err;
    }
  }

  /** Spawns the agent and waits for /readyz 200; the poller runs before the spawn so only the agent is timed. */
  async startAgent(timeoutMs = AGENT_START_TIMEOUT_MS): Promise<AgentStart> {
    if (this.agent?.running) throw new Error('agent already running');
    const watcher = await ReadyzWatcher.start(this.sb.hostNetns, `${this.metricsUrl}/readyz`);
    try {
      const spawnedAt = nowMs();
      const agent = AgentProcess.start(this.args, this.sb.hostNetns, this.sb.env, this.agentBin);
      this.agent = agent;
      const died = agent.exited();
      died.catch(() => undefined);
      const readyAt = await Promise.race([died, watcher.ready(timeoutMs)]);
      return { agent, spawnedAt, readyAt };
    } finally {
      await watcher.stop();
    }
  }

  /** SIGTERM (drain), SIGKILL after a grace period; resolves once the process is gone. */
  async stopAgent(): Promise<void> {
    await this.agent?.stop();
    this.agent = undefined;
  }

  /** The agent's /metrics, parsed (empty when it does not answer). */
  async scrape(): Promise<PromSamples> {
    return parsePromText((await httpGetInNetns(this.sb.hostNetns, `${this.metricsUrl}/metrics`))?.body ?? '');
  }

  /** The agent's memory from the kernel, by its pid (nsenter execs node, so the pid is node's). */
  async memory(): Promise<ProcessMemory | undefined> {
    const pid = this.agent?.pid;
    return pid === undefined ? undefined : processMemory(pid);
  }

  /** nowMs() of the monitor update after which every path has a ready port. */
  waitReady(label: string, paths: readonly string[], timeoutMs: number): Promise<number> {
    const want = new Set(paths);
    return this.race(this.monitor.waitFor(label, (rep) => {
      let k = 0;
      for (const r of rep.values()) {
        const p = rowNsPath(r);
        if (p !== undefined && want.has(p) && rowReady(r)) k++;
      }
      return k >= want.size;
    }, timeoutMs));
  }

  /** nowMs() of the monitor update after which no row records any of the paths. */
  waitGone(label: string, paths: readonly string[], timeoutMs: number): Promise<number> {
    const gone = new Set(paths);
    return this.race(this.monitor.waitFor(label, (rep) => {
      for (const r of rep.values()) {
        const p = rowNsPath(r);
        if (p !== undefined && gone.has(p)) return false;
      }
      return true;
    }, timeoutMs));
  }

  async stop(): Promise<void> {
    await this.monitor.stop().catch(() => undefined);
    await this.stopAgent().catch(() => undefined);
    await this.stopSandbox();
  }

  /** A wait that also ends when the agent dies (with its last stderr lines). */
  private race<T>(p: Promise<T>): Promise<T> {
    const a = this.agent;
    if (!a) return p;
    const died = a.exited();
    died.catch(() => undefined);
    return Promise.race([p, died]);
  }
}
