import { afterEach, describe, expect, it } from 'vitest';
import { basename } from 'node:path';
import { pino } from 'pino';
import { Agent } from '../../../src/agent/agent.js';
import { AgentEnv, tenantYaml } from '../../helpers/agent-env.js';
import { trafficProblems, txChecksumOffload } from '../../helpers/traffic.js';

const NO_TSO_WARNING = /userspace-tso-enable is not true/;

/** Two workloads of one tenant plugged by a real agent with `txChecksumOffload` as given; the agent's log records kept. */
async function plugTwo(env: AgentEnv, txChecksumOffload: 'auto' | 'keep'): Promise<{ agent: Agent; logs: Array<Record<string, unknown>>; ipOf: Map<string, string> }> {
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  await env.writeManifest('t.yaml', tenantYaml('blue', 100, '10.61.0.0/24', ['blue-*']));
  await env.workloads.add('blue-1', 'blue-2');
  const agent = await Agent.start(env.config({ txChecksumOffload }), { logger, http: false });
  await agent.ready;
  const owned = await env.readyPorts(2);
  const ipOf = new Map(owned.map((i) => [basename(i.ids['nsvswitch-netns'] ?? ''), (i.ids['nsvswitch-ip'] ?? '').split('/')[0] ?? '']));
  return { agent, logs, ipOf };
}

describe('workload tx checksum offload modes (netdev)', () => {
  let env: AgentEnv | undefined;
  let agent: Agent | undefined;
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    await env?.stop();
    env = undefined;
  });

  it('keep, with ovs-vswitchd started with userspace TSO: offload stays on and TCP/UDP arrive intact', async () => {
    env = await AgentEnv.start('offload-keep-tso', { vswitchdOtherConfig: { 'userspace-tso-enable': 'true' } });
    const r = await plugTwo(env, 'keep');
    agent = r.agent;
    expect(await txChecksumOffload(env.workloads.path('blue-1'))).toBe(true);
    expect(r.logs.filter((l) => NO_TSO_WARNING.test(String(l.msg)))).toEqual([]);
    expect(trafficProblems(await env.trafficTo('blue-1', [r.ipOf.get('blue-2')!]), () => true)).toEqual([]);
    expect(trafficProblems(await env.trafficTo('blue-2', [r.ipOf.get('blue-1')!]), () => true)).toEqual([]);
  });

  it('keep, without userspace TSO: the agent warns at start, and TCP/UDP indeed fail (the reason auto turns offload off)', async () => {
    env = await AgentEnv.start('offload-keep-plain');
    const r = await plugTwo(env, 'keep');
    agent = r.agent;
    expect(await txChecksumOffload(env.workloads.path('blue-1'))).toBe(true);
    expect(r.logs.filter((l) => NO_TSO_WARNING.test(String(l.msg)))).toHaveLength(1);
    const [res] = await env.trafficTo('blue-1', [r.ipOf.get('blue-2')!]);
    expect(res?.listenerUp).toBe(true);
    expect(res?.tcp.bytesReceived ?? 0).toBe(0);
    expect(res?.udp.datagramsReceived ?? 0).toBe(0);
  });
});
