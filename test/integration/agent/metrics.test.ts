import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import { Agent } from '../../../src/agent/agent.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { AgentEnv, BRIDGE, eventually, tenantYaml } from '../../helpers/agent-env.js';

/** Value of one sample in a Prometheus text exposition (undefined if absent). */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

async function scrape(addr: string, path = '/metrics'): Promise<{ status: number; text: string }> {
  const r = await fetch(`http://${addr}${path}`);
  return { status: r.status, text: await r.text() };
}

describe('agent metrics and readiness, against what really happened', () => {
  let env: AgentEnv;
  let agent: Agent | undefined;
  beforeAll(async () => {
    env = await AgentEnv.start('metrics');
    await env.writeManifest('t.yaml', [tenantYaml('blue', 100, '10.10.0.0/24', ['blue-*']), tenantYaml('red', 200, '10.20.0.0/24', ['red-*'])].join('---\n'));
  });
  afterAll(async () => {
    await agent?.stop();
    await env?.stop();
  });

  it('counts namespaces, ready ports, flows and attach latency during and after a burst', async () => {
    agent = await Agent.start(env.config(), { logger: silentLogger() });
    const addr = agent.httpAddress!;
    expect(addr).toMatch(/^127\.0\.0\.1:\d+$/);
    const names = [...Array.from({ length: 20 }, (_, i) => `blue-${i}`), ...Array.from({ length: 10 }, (_, i) => `red-${i}`), 'nobody'];
    const creating = env.workloads.add(...names);
    const during = await scrape(addr);
    expect(during.status).toBe(200);
    await creating;
    await eventually('30 ready ports', async () => {
      const t = (await scrape(addr)).text;
      return sample(t, 'nsvswitch_ports', 'tenant="blue",state="ready"') === 20 && sample(t, 'nsvswitch_ports', 'tenant="red",state="ready"') === 10;
    });
    const t = (await scrape(addr)).text;
    expect(sample(t, 'nsvswitch_namespace_events_total', 'event="added"')).toBe(31);
    expect(sample(t, 'nsvswitch_namespaces', 'state="matched"')).toBe(30);
    expect(sample(t, 'nsvswitch_namespaces', 'state="unmatched"')).toBe(1);
    expect(sample(t, 'nsvswitch_attach_latency_seconds_count')).toBe(30);
    expect(sample(t, 'nsvswitch_tenants')).toBe(2);
    expect(sample(t, 'nsvswitch_ready')).toBe(1);
    expect(sample(t, 'nsvswitch_ovsdb_connected')).toBe(1);
    // Flow gauge vs the switch's own count of our flows.
    const dumped = (await env.sb.ofctl('-O', 'OpenFlow15', '--no-stats', 'dump-flows', env.sb.mgmt(BRIDGE))).split('\n').filter((l) => l.includes('cookie=')).length;
    const gauge = t.split('\n').filter((l) => l.startsWith('nsvswitch_flows{')).reduce((a, l) => a + Number(l.split(' ').pop()), 0);
    expect(gauge).toBe(dumped);
    expect(sample(t, 'nsvswitch_flow_mods_total', 'op="add"')).toBeGreaterThanOrEqual(dumped);
  });

  it('reports per-tenant traffic from OVS interface statistics', async () => {
    const before = sample((await scrape(agent!.httpAddress!)).text, 'nsvswitch_tenant_receive_packets_total', 'tenant="blue"') ?? 0;
    const ips = (await env.ownedInterfaces()).filter((i) => i.ids['nsvswitch-tenant'] === 'blue').map((i) => i.ids['nsvswitch-ip']!.split('/')[0]!);
    const from = (await env.ownedInterfaces()).find((i) => i.ids['nsvswitch-tenant'] === 'blue')!.ids['nsvswitch-netns']!.split('/').pop()!;
    await env.ping(from, ips.find((ip) => ip !== undefined)!, 5);
    // ovs-vswitchd writes interface statistics to OVSDB every 5 s.
    await eventually('blue rx packets to grow', async () => (sample((await scrape(agent!.httpAddress!)).text, 'nsvswitch_tenant_receive_packets_total', 'tenant="blue"') ?? 0) > before, 15_000, 250);
  });
});

describe('readiness of a starting agent process', () => {
  let env: AgentEnv;
  let child: ResultPromise | undefined;
  beforeAll(async () => {
    env = await AgentEnv.start('readyz');
    await env.writeManifest('t.yaml', tenantYaml('blue', 100, '10.10.0.0/24', ['blue-*']));
    await env.workloads.add(...Array.from({ length: 60 }, (_, i) => `blue-${i}`));
  });
  afterAll(async () => {
    if (child?.pid) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      await child.catch(() => undefined);
    }
    await env?.stop();
  });

  it('/healthz answers while /readyz says 503 until the initial sync is done, then 200', async () => {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    const c = env.config();
    child = execa('node', ['bin/nsvswitch.js', 'run', '--ovsdb', c.ovsdb, '--ovs-rundir', c.ovsRundir, '--bridge', c.bridge, '--datapath-type', 'netdev',
      '--manifest-dir', c.manifestDir, '--namespace-dir', c.namespaceDirs[0]!, '--host-netns', c.hostNetns!, '--metrics-listen', `127.0.0.1:${port}`, '--log-level', 'warn'], { reject: false });
    const seen: number[] = [];
    await eventually('/readyz 200', async () => {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      if (!r) return false;
      seen.push(r.status);
      return r.status === 200;
    }, 30_000, 5);
    expect(seen[0]).toBe(503);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await env.ownedInterfaces()).filter((i) => i.ids['nsvswitch-installed'] === 'true')).toHaveLength(60);
  });
});
