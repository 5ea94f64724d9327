import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { AgentEnv, BRIDGE, eventually, tenantYaml } from '../../helpers/agent-env.js';
import { trafficProblems, txChecksumOffload } from '../../helpers/traffic.js';

describe('agent: plug namespaces into OVS', () => {
  let env: AgentEnv;
  let agent: Agent | undefined;
  beforeAll(async () => {
    env = await AgentEnv.start('agent-basic');
    await env.writeManifest('tenants.yaml', [
      tenantYaml('blue', 100, '10.10.0.0/24', ['blue-*'], '  gateway: 10.10.0.1\n  interface: { name: eth0, mtu: 1400 }\n'),
      tenantYaml('red', 200, '10.20.0.0/24', ['red-*']),
    ].join('---\n'));
  });
  afterAll(async () => {
    await agent?.stop();
    await env?.stop();
  });

  it('creates the bridge, plugs matching namespaces with address, MTU and route, and marks them ready', async () => {
    await env.workloads.add('blue-1', 'blue-2', 'red-1', 'other');
    agent = await Agent.start(env.config(), { logger: silentLogger(), http: false });
    await agent.ready;
    const owned = await env.readyPorts(3);
    expect(owned.map((i) => i.ids['nsvswitch-tenant']).sort()).toEqual(['blue', 'blue', 'red']);
    expect((await env.sb.vsctl('get', 'Bridge', BRIDGE, 'fail_mode')).trim()).toBe('secure');
    const addr = JSON.parse((await env.inNs('blue-1', 'ip', ['-j', '-4', 'addr', 'show', 'eth0'])).stdout) as { mtu: number; address: string; addr_info: { local: string; prefixlen: number }[] }[];
    expect(addr[0]?.mtu).toBe(1400);
    expect(addr[0]?.addr_info.map((a) => `${a.local}/${a.prefixlen}`)).toEqual(['10.10.0.2/24']);
    const route = (await env.inNs('blue-1', 'ip', ['route', 'show', 'default'])).stdout;
    expect(route).toContain('default via 10.10.0.1 dev eth0');
    expect(await env.ping('blue-1', '10.10.0.3')).toBe(true);
    // Not only ICMP: a TCP stream and UDP datagrams arrive intact (MTU 1400 on both ends). For that the agent
    // turned tx checksum offload off on the workload's end (the userspace datapath does not fill checksums in).
    expect(await txChecksumOffload(env.workloads.path('blue-1'))).toBe(false);
    expect(trafficProblems(await env.trafficTo('blue-1', ['10.10.0.3']), () => true)).toEqual([]);
  });

  it('isolates tenants: blue cannot reach red', async () => {
    const red = (await env.ownedInterfaces()).find((i) => i.ids['nsvswitch-tenant'] === 'red')!;
    const redIp = red.ids['nsvswitch-ip']!.split('/')[0]!;
    // On-link /32 routes both ways (blue's default route would send it to the gateway): the switch must drop it.
    const route = (op: 'replace' | 'del', ns: string, ip: string) => env.inNs(ns, 'ip', ['route', op, `${ip}/32`, 'dev', 'eth0']);
    await route('replace', 'blue-1', redIp);
    await route('replace', 'red-1', '10.10.0.2');
    try {
      const [pinged, flows] = await Promise.all([env.ping('blue-1', redIp), env.trafficTo('blue-1', [redIp])]);
      expect(pinged).toBe(false);
      // No TCP connection, not one byte of TCP or UDP at red's listener (which heard itself: it was up).
      expect(trafficProblems(flows, () => false)).toEqual([]);
    } finally {
      await route('del', 'blue-1', redIp);
      await route('del', 'red-1', '10.10.0.2');
    }
  });

  it('removes the port when the namespace is deleted', async () => {
    await env.workloads.remove('blue-2');
    await eventually('blue-2 port removed', async () => (await env.ownedInterfaces()).length === 2);
    const links = await env.hostLinks();
    expect(links.filter((l) => l.startsWith('nsv'))).toHaveLength(2);
  });

  it('removes a tenant\'s ports when its manifest no longer lists it', async () => {
    await env.writeManifest('tenants.yaml', tenantYaml('blue', 100, '10.10.0.0/24', ['blue-*'], '  gateway: 10.10.0.1\n  interface: { name: eth0, mtu: 1400 }\n'));
    await eventually('red port removed', async () => {
      const o = await env.ownedInterfaces();
      return o.length === 1 && o[0]!.ids['nsvswitch-tenant'] === 'blue';
    });
  });
});

describe('agent: its bridge deleted under it', () => {
  let env: AgentEnv;
  let agent: Agent | undefined;
  beforeAll(async () => {
    env = await AgentEnv.start('agent-rebridge');
    await env.writeManifest('t.yaml', tenantYaml('blue', 100, '10.10.0.0/24', ['blue-*']));
  });
  afterAll(async () => {
    await agent?.stop();
    await env?.stop();
  });

  it('re-creates the bridge and replugs every namespace, each with the address it had', async () => {
    await env.workloads.add('blue-1', 'blue-2', 'blue-3');
    agent = await Agent.start(env.config(), { logger: silentLogger(), http: false });
    await eventually('3 ready ports', async () => (await env.ownedInterfaces()).filter((i) => i.ids['nsvswitch-installed'] === 'true').length === 3);
    // A hole: blue-2's address is released, so blue-3's is not the next free one any more.
    await env.workloads.remove('blue-2');
    const before = await env.readyPorts(2);
    await env.sb.vsctl('del-br', BRIDGE);
    const after = await env.readyPorts(2);
    const ipByNs = (l: typeof before) => Object.fromEntries(l.map((i) => [i.ids['nsvswitch-netns'], i.ids['nsvswitch-ip']]));
    // The records went with the bridge; the running agent remembers what it gave out.
    expect(ipByNs(after)).toEqual(ipByNs(before));
    expect(new Set(after.map((i) => i.ids['nsvswitch-ip']))).toEqual(new Set(['10.10.0.1/24', '10.10.0.3/24']));
    for (const n of ['blue-1', 'blue-3']) expect((await env.nsInterface(n))?.addrs).toEqual([ipByNs(after)[env.workloads.path(n)]]);
    const ip3 = after.find((i) => i.ids['nsvswitch-netns']!.endsWith('blue-3'))!.ids['nsvswitch-ip']!.split('/')[0]!;
    await eventually('blue-1 reaches blue-3', async () => env.ping('blue-1', ip3));
    expect(trafficProblems(await env.trafficTo('blue-1', [ip3]), () => true)).toEqual([]);
  });
});
