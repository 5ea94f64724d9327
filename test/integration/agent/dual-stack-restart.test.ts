import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import { Metrics } from '../../../src/observe/metrics.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { run } from '../../../src/exec/run.js';
import { AgentEnv, counterSum, pool, tenantYaml, settleAndStop } from '../../helpers/agent-env.js';

const NAMES = ['ds-0', 'ds-1', 'ds-2', 'v4-0', 'v4-1'];

describe('agent with a dual-stack tenant: records, addresses inside, restart with zero changes', () => {
  let env: AgentEnv;
  let agent: Agent | undefined;

  async function startAgent(): Promise<{ agent: Agent; metrics: Metrics }> {
    const metrics = new Metrics({ defaultMetrics: false });
    const a = await Agent.start(env.config(), { logger: silentLogger(), http: false, metrics });
    await a.ready;
    return { agent: a, metrics };
  }

  /** Every address inside a namespace, both families, as `ip -j addr` shows them. */
  async function inside(name: string): Promise<string> {
    const r = await run('ip', ['-j', 'addr', 'show', 'dev', 'eth0'], { netns: env.workloads.path(name) });
    const j = JSON.parse(r.stdout) as { address: string; addr_info: { family: string; local: string; prefixlen: number; scope: string }[] }[];
    return j.map((l) => [l.address, ...l.addr_info.map((a) => `${a.local}/${a.prefixlen}/${a.scope}`).sort()].join(' ')).join(';');
  }

  beforeAll(async () => {
    env = await AgentEnv.start('dual-restart');
    await env.writeManifest('tenants.yaml', [
      tenantYaml('dual', 310, '10.31.0.0/24', ['ds-*'], '  gateway: 10.31.0.1\n  subnet6: "fd00:31::/64"\n  gateway6: "fd00:31::1"\n  staticAddresses6: { ds-2: "fd00:31::2:2" }\n'),
      tenantYaml('four', 320, '10.32.0.0/24', ['v4-*']),
    ].join('---\n'));
    await env.workloads.add(...NAMES);
    agent = (await startAgent()).agent;
    await env.readyPorts(NAMES.length);
  });

  afterAll(async () => {
    await agent?.stop();
    await env?.stop();
  });

  it('records each dual-stack port\'s IPv6 address beside its IPv4 one, and sets it inside; IPv4-only ports carry no IPv6 record', async () => {
    const byNs = new Map((await env.ownedInterfaces()).map((i) => [i.ids['nsvswitch-netns']!.split('/').pop()!, i.ids]));
    expect(NAMES.map((n) => byNs.get(n)?.['nsvswitch-ip6'])).toEqual(['fd00:31::2/64', 'fd00:31::3/64', 'fd00:31::2:2/64', undefined, undefined]);
    expect(byNs.get('ds-0')?.['nsvswitch-gateway6']).toBe('fd00:31::1');
    expect(await inside('ds-0')).toContain('fd00:31::2/64/global');
    const status = agent!.status().namespaces;
    expect(status.find((n) => n.name === 'ds-0')?.ip6).toBe('fd00:31::2/64');
    expect(status.find((n) => n.name === 'v4-0')).not.toHaveProperty('ip6');
    expect((await inside('v4-0')).split(' ').filter((a) => a.includes(':') && a.endsWith('/global'))).toEqual([]);
  });

  it('a restart with nothing changed writes nothing to OVSDB, sends no flow-mod, and leaves every address as it was', async () => {
    const rows = async (): Promise<string[]> => (await env.ownedInterfaces()).map((i) => JSON.stringify(Object.entries(i.ids).sort())).sort();
    const beforeRows = await rows();
    const beforeInside = await pool(NAMES, 5, inside);
    const beforeFlows = (await env.ourFlows()).sort();
    await agent?.stop();
    const s = await startAgent();
    agent = s.agent;
    await settleAndStop(agent);
    agent = undefined;
    expect(await counterSum(s.metrics.ovsdbTransactions, { kind: 'write' })).toBe(0);
    expect(await counterSum(s.metrics.flowMods)).toBe(0);
    expect(await rows()).toEqual(beforeRows);
    expect(await pool(NAMES, 5, inside)).toEqual(beforeInside);
    expect((await env.ourFlows()).sort()).toEqual(beforeFlows);
  });
});
