import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { AgentEnv, eventually, tenantYaml } from '../../helpers/agent-env.js';

/** Value of one sample in a Prometheus text exposition (undefined if absent). */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/** The agent on each flow driver: which path it says it uses, and how many ovs-ofctl processes a burst costs. */
describe.each([
  { flowDriver: 'auto', active: 1 },
  { flowDriver: 'ofctl', active: 0 },
] as const)('agent with flowDriver: $flowDriver', ({ flowDriver, active }) => {
  let env: AgentEnv;
  let agent: Agent | undefined;
  beforeAll(async () => {
    env = await AgentEnv.start(`flows-${flowDriver}`);
    await env.writeManifest('t.yaml', tenantYaml('blue', 100, '10.10.0.0/24', ['blue-*']));
  });
  afterAll(async () => {
    await agent?.stop();
    await env?.stop();
  });

  it(`says which path it uses (nsvswitch_native_active{part="openflow"} ${active}) and spawns ${active ? 'no' : 'some'} ovs-ofctl for a burst`, async () => {
    agent = await Agent.start(env.config({ flowDriver }), { logger: silentLogger() });
    const scrape = async (): Promise<string> => (await fetch(`http://${agent!.httpAddress!}/metrics`)).text();
    const spawns = (text: string): number => sample(text, 'nsvswitch_process_spawns_total', 'program="ovs-ofctl"') ?? 0;
    await eventually('the initial flow sync', async () => sample(await scrape(), 'nsvswitch_native_active', 'part="openflow"') === active);
    const before = await scrape();
    await env.workloads.add(...Array.from({ length: 8 }, (_, i) => `blue-${i}`));
    await eventually('8 ready ports', async () => sample(await scrape(), 'nsvswitch_ports', 'tenant="blue",state="ready"') === 8);
    const after = await scrape();
    // Native: none for the whole agent life, its flow monitor included; ofctl: the monitor child and one per bundle.
    if (active) expect(spawns(after)).toBe(0);
    else expect(spawns(after) - spawns(before)).toBeGreaterThan(0);
    expect(sample(after, 'nsvswitch_native_active', 'part="openflow"')).toBe(active);
    // Whichever path installed them, the flows are the ones ovs-ofctl reads back for 8 ports (5 each, 1 flood, 5 base).
    expect((await env.ourFlows()).length).toBe(8 * 5 + 1 + 5);
  });
});
