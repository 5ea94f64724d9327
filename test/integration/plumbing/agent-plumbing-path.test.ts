import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { AgentEnv, eventually, tenantYaml } from '../../helpers/agent-env.js';

/** Value of one sample in a Prometheus text exposition (undefined if absent). */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/** The agent on each plumbing path: which one it says it uses, and what it spawns for a burst. */
describe.each([
  { plumbing: 'auto', active: 1, perNamespace: 0 },
  { plumbing: 'process', active: 0, perNamespace: 1 },
] as const)('agent with plumbing: $plumbing', ({ plumbing, active, perNamespace }) => {
  let env: AgentEnv;
  let agent: Agent | undefined;
  beforeAll(async () => {
    env = await AgentEnv.start(`path-${plumbing}`);
    await env.writeManifest('t.yaml', tenantYaml('blue', 100, '10.10.0.0/24', ['blue-*'], '  gateway: 10.10.0.1\n'));
  });
  afterAll(async () => {
    await agent?.stop();
    await env?.stop();
  });

  it(`says which path it uses (nsvswitch_native_active{part="netlink"} and {part="nftables"} ${active}) and spawns ${perNamespace ? 'one nsenter per namespace' : 'no ip, no nsenter and no nft'} in a burst`, async () => {
    agent = await Agent.start(env.config({ plumbing }), { logger: silentLogger() });
    expect(agent.plumbing.path).toBe(active ? 'netlink' : 'process');
    const scrape = async (): Promise<string> => (await fetch(`http://${agent!.httpAddress!}/metrics`)).text();
    expect(sample(await scrape(), 'nsvswitch_native_active', 'part="netlink"')).toBe(active);
    expect(sample(await scrape(), 'nsvswitch_native_active', 'part="nftables"')).toBe(active);
    // Spawns during the burst only (the tenant's gateway is set up before it, by processes of its own).
    const spawns = (text: string, program: string): number => sample(text, 'nsvswitch_process_spawns_total', `program="${program}"`) ?? 0;
    const before = await scrape();
    const names = Array.from({ length: 12 }, (_, i) => `blue-${i}`);
    await env.workloads.add(...names);
    await eventually('12 ready ports', async () => sample(await scrape(), 'nsvswitch_ports', 'tenant="blue",state="ready"') === 12);
    const after = await scrape();
    expect(spawns(after, 'nsenter') - spawns(before, 'nsenter')).toBe(perNamespace ? 12 : 0);
    if (!perNamespace) expect(spawns(after, 'ip') - spawns(before, 'ip')).toBe(0);
    else expect(spawns(after, 'ip') - spawns(before, 'ip')).toBeGreaterThan(0);
    // The host seal's chains and the gateway counters every scrape reads: in-process, or `nft` processes.
    if (!perNamespace) expect(spawns(after, 'nft') - spawns(before, 'nft')).toBe(0);
    else expect(spawns(after, 'nft') - spawns(before, 'nft')).toBeGreaterThan(0);
    expect((await env.nsInterface('blue-0'))?.addrs).toEqual([expect.stringMatching(/^10\.10\.0\.\d+\/24$/)]);
  });
});
