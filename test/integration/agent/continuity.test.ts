import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { run } from '../../../src/exec/run.js';
import { AgentChild, AgentEnv, eventually, metricSum, pool, tenantYaml } from '../../helpers/agent-env.js';
import { trafficMatrix, trafficProblems } from '../../helpers/traffic.js';

/** Echo requests of the continuous ping (one per 10 ms: long enough to span an agent restart). */
const PINGS = 500;

describe('traffic continuity across agent restarts, and recovery after ovs-vswitchd restarts', () => {
  let env: AgentEnv;
  let agent: AgentChild | undefined;
  let old: AgentChild | undefined;
  const ips = new Map<string, string>();

  beforeAll(async () => {
    env = await AgentEnv.start('agent-cont');
    await env.writeManifest('tenants.yaml', [
      tenantYaml('cont-a', 801, '10.80.1.0/24', ['ca-*']),
      tenantYaml('cont-b', 802, '10.80.2.0/24', ['cb-*']),
    ].join('---\n'));
    await env.workloads.add('ca-0', 'ca-1', 'cb-0');
    agent = await AgentChild.start(env);
    await agent.ready();
    const rows = await env.readyPorts(3);
    for (const r of rows) ips.set(r.ids['nsvswitch-netns']!.split('/').pop()!, r.ids['nsvswitch-ip']!.split('/')[0]!);
    // On-link route to both tenants: cross-tenant packets go to the switch, which must drop them.
    await pool(['ca-0', 'ca-1', 'cb-0'], 3, (n) => run('ip', ['route', 'add', '10.80.0.0/16', 'dev', 'eth0'], { netns: env.workloads.path(n) }));
  });
  afterAll(async () => {
    await old?.kill();
    await agent?.kill();
    await env?.stop();
  });

  it('a continuous ping loses no packet while the agent is stopped (SIGTERM) and restarted; flows untouched', async () => {
    const flowsBefore = (await env.ourFlows()).sort();
    expect(flowsBefore.length).toBeGreaterThan(0);
    const ping = execa('nsenter', [`--net=${env.workloads.path('ca-0')}`, 'ping', '-n', '-q', '-i', '0.01', '-W', '1', '-c', String(PINGS), ips.get('ca-1')!], { reject: false });
    try {
      await new Promise((r) => setTimeout(r, 500));
      old = agent;
      agent = undefined;
      const exit = await old!.signal('SIGTERM');
      expect(exit.code).toBe(0);
      agent = await AgentChild.start(env);
      await agent.ready();
      // The restart happened inside the ping's run, not after it.
      expect(ping.exitCode).toBeNull();
      const metrics = await agent.metrics();
      expect(metricSum(metrics, 'nsvswitch_flow_mods_total')).toBe(0);
      expect(metricSum(metrics, 'nsvswitch_ovsdb_transactions_total', 'kind="write"')).toBe(0);
    } finally {
      await ping;
    }
    const r = await ping;
    const m = /(\d+) packets transmitted, (\d+) received/.exec(String(r.stdout));
    expect(m, String(r.stdout)).not.toBeNull();
    expect(Number(m![1])).toBe(PINGS);
    expect(Number(m![2]), String(r.stdout)).toBe(PINGS);
    expect((await env.ourFlows()).sort()).toEqual(flowsBefore);
    // Still nothing sent after the first passes settled.
    expect(metricSum(await agent!.metrics(), 'nsvswitch_flow_mods_total')).toBe(0);
  });

  it('after ovs-vswitchd is killed and restarted, the agent replays the flows: connectivity and isolation back', async () => {
    const flowsBefore = (await env.ourFlows()).sort();
    await env.sb.kill('ovs-vswitchd');
    await env.sb.startVswitchd();
    await eventually('same-tenant ping through the restarted switch', async () => (await env.pingCount('ca-0', ips.get('ca-1')!, { count: 1, waitS: 1 })) === 1, 15_000, 100);
    const pair = (a: string, b: string) => ({ from: env.workloads.path(a), to: env.workloads.path(b), ip: ips.get(b)!, label: `${a} -> ${b}` });
    const [back, cross1, cross2, flows] = await Promise.all([
      env.pingCount('ca-1', ips.get('ca-0')!, { count: 3 }),
      env.pingCount('ca-0', ips.get('cb-0')!, { count: 2 }),
      env.pingCount('cb-0', ips.get('ca-1')!, { count: 2 }),
      trafficMatrix([pair('ca-0', 'ca-1'), pair('ca-1', 'ca-0'), pair('ca-0', 'cb-0'), pair('cb-0', 'ca-1')]),
    ]);
    expect([back, cross1, cross2]).toEqual([3, 0, 0]);
    // TCP and UDP too: every byte within tenant ca, none across.
    expect(trafficProblems(flows, (r) => !r.label.includes('cb-0'))).toEqual([]);
    const metrics = await agent!.metrics();
    expect(metricSum(metrics, 'nsvswitch_flow_replays_total')).toBeGreaterThanOrEqual(1);
    expect(metricSum(metrics, 'nsvswitch_flow_mods_total')).toBeGreaterThanOrEqual(flowsBefore.length);
    // The same flows as before (the ports kept their ofports).
    expect((await env.ourFlows()).sort()).toEqual(flowsBefore);
  });
});
