import { Agent } from '../../../src/agent/agent.js';
import type { AgentConfig } from '../../../src/config/index.js';
import { Metrics } from '../../../src/observe/metrics.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { run } from '../../../src/exec/run.js';
import { gatewayTableName } from '../../../src/plumbing/index.js';
import { AgentEnv, BRIDGE, eventually, tenantYaml } from '../../helpers/agent-env.js';
import { HOST, RealisticHost } from '../security/realistic-host.js';

/** The outside world: the upstream router's address, behind the host's uplink (RealisticHost). */
export const OUTSIDE = HOST.gw4;
export const GW_TABLE = gatewayTableName(BRIDGE);

export interface GwTenant {
  readonly name: string;
  readonly id: number;
  readonly subnet: string;
  readonly gateway: string;
  readonly prefix: string;
  readonly egress?: string;
}

export function gwTenantYaml(t: GwTenant): string {
  return tenantYaml(t.name, t.id, t.subnet, [`${t.prefix}-*`], `  gateway: ${t.gateway}\n${t.egress ? `  egress: ${t.egress}\n` : ''}`);
}

/**
 * An agent environment whose host namespace looks real (an uplink to an
 * "upstream" namespace standing in for the internet, a second internal
 * address, services), with tenants that have gateways. stop() removes all
 * of it, also after a failure.
 */
export class GatewayEnv {
  agent: Agent | undefined;
  metrics = new Metrics({ defaultMetrics: false });

  private constructor(readonly env: AgentEnv, readonly host: RealisticHost, readonly upstream: string, private readonly agentConfig: Partial<AgentConfig>) {}

  /** `vswitchdOtherConfig` as for AgentEnv; `agentConfig`: config keys over the test defaults. */
  static async start(label: string, opts: { vswitchdOtherConfig?: Readonly<Record<string, string>>; agentConfig?: Partial<AgentConfig> } = {}): Promise<GatewayEnv> {
    const env = await AgentEnv.start(label, opts.vswitchdOtherConfig ? { vswitchdOtherConfig: opts.vswitchdOtherConfig } : {});
    try {
      const [upstream] = await env.sb.netnsDir.add('upstream');
      const host = await RealisticHost.build(env.sb.hostNetns, upstream!, env.sb.dir, label);
      return new GatewayEnv(env, host, upstream!, opts.agentConfig ?? {});
    } catch (err) {
      await env.stop();
      throw err;
    }
  }

  async startAgent(): Promise<Agent> {
    this.metrics = new Metrics({ defaultMetrics: false });
    this.agent = await Agent.start(this.env.config(this.agentConfig), { logger: silentLogger(), http: false, metrics: this.metrics });
    await this.agent.ready;
    return this.agent;
  }

  async stopAgent(): Promise<void> {
    await this.agent?.stop();
    this.agent = undefined;
  }

  /** Waits until `n` workload ports are ready and every gateway in `gateways` has an ofport. */
  async settled(n: number, gateways: number): Promise<void> {
    await eventually(`${n} ready ports and ${gateways} gateways`, async () => {
      const o = await this.env.ownedInterfaces();
      const gws = (await this.env.interfaces()).filter((i) => i.ids['nsvswitch-role'] === 'gateway' && i.ofport > 0);
      return o.length === n && o.every((i) => i.ids['nsvswitch-installed'] === 'true') && gws.length === gateways;
    }, 30_000, 100);
  }

  /** The workload address the agent recorded for namespace `ns`. */
  async ipOf(ns: string): Promise<string> {
    const row = (await this.env.ownedInterfaces()).find((i) => i.ids['nsvswitch-netns'] === this.env.workloads.path(ns));
    if (!row) throw new Error(`no port for ${ns}`);
    return row.ids['nsvswitch-ip']!.split('/')[0]!;
  }

  /** Gateway interfaces (OVS internal ports) in the host namespace. */
  async gatewayLinks(): Promise<string[]> {
    return (await this.env.hostLinks()).filter((l) => l.startsWith('nsg'));
  }

  /** The gateway table as `nft list` prints it, or undefined when absent. */
  async gatewayTable(): Promise<string | undefined> {
    const r = await run('nft', ['list', 'table', 'inet', GW_TABLE], { netns: this.env.sb.hostNetns, okExitCodes: [1] });
    return r.exitCode === 0 ? r.stdout : undefined;
  }

  /** Runs `ip -batch` lines in a namespace file. */
  async ipBatch(ns: string, lines: readonly string[]): Promise<void> {
    await run('ip', ['-batch', '-'], { netns: ns, input: `${lines.join('\n')}\n` });
  }

  async stop(): Promise<void> {
    await this.agent?.stop().catch(() => undefined);
    await this.host.stop().catch(() => undefined);
    await this.env.stop();
  }
}
