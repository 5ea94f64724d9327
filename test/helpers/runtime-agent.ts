// The steps the agent tests over a real container runtime (Docker, CRI) share: the setting (agent
// environment, the runtime beside it, the agent with its metrics and kept log), and the checks every
// runtime must pass the same way — the workload named in /status, metrics, port records and trace; a
// removed workload unplugged within 1 s; a restart that adopts every port; a runtime that is not there.
import { join } from 'node:path';
import { stringify } from 'yaml';
import { expect } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import type { AgentConfig } from '../../src/config/types.js';
import { silentLogger } from '../../src/observe/logger.js';
import type { Metrics } from '../../src/observe/metrics.js';
import type { NamespaceStatus } from '../../src/observe/status-types.js';
import { PrivateNetnsDir } from '../../src/sandbox/private-netns-dir.js';
import { AgentEnv, counterSum, eventually } from './agent-env.js';
import { KeptLog, readyAgent, restartWithZeroWrites, runtimeRestartKeepsPorts, startBeside, stopBeside, traceCmd, type RestartableRuntime } from './workload-agent.js';

/** Tenant manifests (one YAML document each), by tenant name. */
export function tenantManifests(specs: Readonly<Record<string, Readonly<Record<string, unknown>>>>): string {
  return Object.entries(specs).map(([name, spec]) => stringify({ apiVersion: 'nsvswitch/v1', kind: 'Tenant', metadata: { name }, spec })).join('---\n');
}

/** A container runtime a test runs beside the agent (test/helpers DockerEnv, CriEnv). */
export interface TestRuntime extends RestartableRuntime {
  readonly socket: string;
  readonly netnsDir: string;
  stop(): Promise<void>;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * The agent's environment, a runtime beside it with the tenants' manifest, and the agent (restartable) with
 * its own metrics and kept log. stop() ends all of it, the agent first.
 */
export class RuntimeAgentRig<R extends TestRuntime> {
  readonly log = new KeptLog();
  private current: { agent: Agent; metrics: Metrics } | undefined;

  private constructor(readonly env: AgentEnv, readonly runtime: R, private readonly runtimeConfig: Partial<AgentConfig>) {}

  /** `label`: the environment's; `config`: the agent's keys for the runtime (its socket and namespace dir), whose namespace dir is watched too. */
  static async start<R extends TestRuntime>(o: { label: string; runtime: (env: AgentEnv) => Promise<R>; manifest: string; config: (runtime: R) => Partial<AgentConfig> }): Promise<RuntimeAgentRig<R>> {
    const env = await AgentEnv.start(o.label);
    const runtime = await startBeside(env, () => o.runtime(env));
    const rig = new RuntimeAgentRig(env, runtime, { ...o.config(runtime), namespaceDirs: [env.workloads.dir, runtime.netnsDir] });
    try {
      await env.writeManifest('tenants.yaml', o.manifest);
      await rig.startAgent();
    } catch (err) {
      await rig.stop();
      throw err;
    }
    return rig;
  }

  get agent(): Agent {
    if (!this.current) throw new Error('no agent running');
    return this.current.agent;
  }

  get metrics(): Metrics {
    if (!this.current) throw new Error('no agent running');
    return this.current.metrics;
  }

  /** The agent's view of workload `name` (a container's name, a pod's namespace/pod). */
  workload(name: string): NamespaceStatus | undefined {
    return this.current?.agent.status().namespaces.find((n) => n.workload?.name === name);
  }

  /** The workloads whose ports are ready, by name, sorted. */
  readyWorkloads(): string[] {
    return this.agent.status().namespaces.filter((n) => n.state === 'ready' && n.workload).map((n) => n.workload!.name).sort();
  }

  /** The port record (owned Interface row) of workload `name`. */
  async row(name: string): Promise<{ name: string; ofport: number; ids: Record<string, string> } | undefined> {
    return (await this.env.ownedInterfaces()).find((i) => i.ids['nsvswitch-workload'] === name);
  }

  /** The namespace paths the ports of `tenant` record, sorted. */
  async tenantNetns(tenant: string): Promise<(string | undefined)[]> {
    return (await this.env.ownedInterfaces()).filter((i) => i.ids['nsvswitch-tenant'] === tenant).map((i) => i.ids['nsvswitch-netns']).sort();
  }

  /**
   * /status (the runtime connected and synced), the metrics and the port record (`ids`, beside the runtime)
   * name workload `name` of `tenant`; `nsvswitch trace` passes it to `peer` and refuses it to `stranger`.
   */
  async expectNamed(o: { runtime: string; name: string; tenant: string; ids: Readonly<Record<string, string>>; peer: string; stranger: string }): Promise<void> {
    expect(this.agent.status().runtimes).toEqual([expect.objectContaining({ runtime: o.runtime, connected: true, synced: true })]);
    const text = await this.metrics.registry.metrics();
    expect(text).toMatch(new RegExp(`nsvswitch_workload_port_info\\{runtime="${o.runtime}",container="${escapeRe(o.name)}",container_id="[0-9a-f]{12}",tenant="${o.tenant}",port="nsv[^"]+"\\} 1`));
    expect(text).toContain(`nsvswitch_runtime_connected{runtime="${o.runtime}"} 1`);
    const row = (await this.row(o.name))!;
    expect(row.ids).toMatchObject({ 'nsvswitch-runtime': o.runtime, ...o.ids });
    const c = this.env.config();
    const cfg = ['--ovsdb', c.ovsdb, '--ovs-rundir', c.ovsRundir, '--bridge', c.bridge, '--host-netns', this.env.sb.hostNetns];
    const allowed = await traceCmd([o.name, o.peer, ...cfg]);
    expect(allowed.code, allowed.out).toBe(0);
    expect((await traceCmd([o.name, o.stranger, ...cfg])).code).toBe(1);
  }

  /**
   * `remove` (resolving with when the timing starts: `since` says what that is) takes workload `name` away:
   * its port is gone from OVSDB within 1 s, `after` runs, and the host has no veth left and no reconcile failed.
   */
  async expectUnplugWithin1s(o: { name: string; since: string; remove: () => Promise<number>; after?: () => Promise<void> }): Promise<void> {
    const port = this.workload(o.name)!.port!;
    const errorsBefore = await counterSum(this.metrics.reconcileErrors);
    const t0 = await o.remove();
    const gone = await eventually(`${o.name} port removed`, async () => !(await this.env.ownedInterfaces()).some((i) => i.name === port) && Date.now(), 5000, 20);
    console.log(`port gone ${gone - t0} ms after ${o.since}`);
    expect(gone - t0).toBeLessThan(1000);
    await o.after?.();
    expect((await this.env.hostLinks()).includes(port)).toBe(false);
    expect(await counterSum(this.metrics.reconcileErrors)).toBe(errorsBefore);
  }

  /** The agent restarted over the workload ports: zero writes (restartWithZeroWrites); returns the ready workloads after. */
  async restartAdopting(): Promise<string[]> {
    const old = this.agent;
    await restartWithZeroWrites(this.env, async () => {
      await old.stop();
      this.current = undefined;
      return this.startAgent();
    });
    return this.readyWorkloads();
  }

  /** The runtime's daemon restarted under the agent (runtimeRestartKeepsPorts); `name` as the checks say it. */
  async runtimeRestartKeepsPorts(name: string, whileDown: () => Promise<void>): Promise<void> {
    await runtimeRestartKeepsPorts({ env: this.env, agent: this.agent, metrics: this.metrics, runtime: this.runtime, name, whileDown });
  }

  /** Routine workload churn warned about nothing but what `expected` matches. */
  expectOnlyWarnings(expected: RegExp): void {
    expect(this.log.warnings().filter((m) => !expected.test(m))).toEqual([]);
  }

  async stop(): Promise<void> {
    await stopBeside(this.current?.agent, this.runtime, this.env);
    this.current = undefined;
    this.log.show();
  }

  private async startAgent(): Promise<{ agent: Agent; metrics: Metrics }> {
    this.current = await readyAgent(this.env.config(this.runtimeConfig), this.log.logger);
    return this.current;
  }
}

/**
 * A runtime configured but not there: the agent's environment and a private directory standing in for the
 * runtime's namespace dir; the agent is started on a socket nothing listens on. stop() ends all of it.
 */
export class AbsentRuntime {
  private agent: Agent | undefined;

  private constructor(readonly env: AgentEnv, readonly dir: PrivateNetnsDir) {}

  static async start(label: string, dirName: string): Promise<AbsentRuntime> {
    const env = await AgentEnv.start(label);
    try {
      return new AbsentRuntime(env, await PrivateNetnsDir.create(join(env.sb.dir, dirName)));
    } catch (err) {
      await env.stop();
      throw err;
    }
  }

  /** The agent with the runtime's keys (`config`), watching the workload dir and the runtime's dir, ready. */
  async startAgent(config: Partial<AgentConfig>): Promise<Agent> {
    this.agent = await Agent.start(this.env.config({ ...config, namespaceDirs: [this.env.workloads.dir, this.dir.dir] }), { logger: silentLogger(), http: false });
    await this.agent.ready;
    return this.agent;
  }

  /** /status: the file `waiting` waits for the runtime's metadata, the runtime is neither connected nor synced, its error matches `error`. */
  expectDown(o: { runtime: string; waiting: string; error: RegExp }): void {
    const st = this.agent!.status();
    expect(st.namespaces.find((n) => n.name === o.waiting)).toMatchObject({ state: 'waiting', note: `waiting for ${o.runtime} metadata (runtime not reachable)` });
    expect(st.runtimes).toEqual([expect.objectContaining({ runtime: o.runtime, connected: false, synced: false })]);
    expect(st.runtimes![0]!.error).toMatch(o.error);
  }

  async stop(): Promise<void> {
    await this.agent?.stop();
    await this.dir.destroy().catch(() => undefined);
    await this.env.stop();
  }
}
