import { stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { macFor } from '../../../src/core/names.js';
import { namespaceKey } from '../../../src/netns/types.js';
import { AgentEnv, eventually, tenantYaml } from '../../helpers/agent-env.js';

const TENANT = (patterns: string[]): string => tenantYaml('blue', 100, '10.10.0.0/24', patterns);

/**
 * A real MAC collision: namespace mac-a's port carries (and records) the MAC
 * that mac-b derives. A hash collision between two keys is the same state;
 * here it is set up by hand, since finding one takes seconds of CPU and the
 * keys (path + inode) are only known once the namespaces exist.
 */
describe('agent: MACs unique on the bridge, also when a namespace derives a MAC another port has', () => {
  let env: AgentEnv;
  let agent: Agent | undefined;
  let keyB: string;
  let shared: string;

  const start = async (): Promise<Agent> => {
    const a = await Agent.start(env.config(), { logger: silentLogger(), http: false });
    await a.ready;
    return a;
  };
  const row = async (ns: string) => (await env.ownedInterfaces()).find((i) => i.ids['nsvswitch-netns'] === env.workloads.path(ns));
  const ready = (n: number) => env.readyPorts(n);

  beforeAll(async () => {
    env = await AgentEnv.start('mac-collision');
    await env.workloads.add('mac-a', 'mac-b');
    await env.writeManifest('tenants.yaml', TENANT(['mac-a']));
    const pathB = env.workloads.path('mac-b');
    keyB = namespaceKey({ path: pathB, inode: (await stat(pathB)).ino });
    shared = macFor(keyB);
  });
  afterAll(async () => {
    await agent?.stop();
    await env?.stop();
  });

  it('sets up mac-a plugged with the MAC mac-b will derive (interface and record)', async () => {
    agent = await start();
    await ready(1);
    await agent.stop();
    agent = undefined;
    const a = (await row('mac-a'))!;
    expect(a.ids['nsvswitch-mac']).not.toBe(shared);
    await env.inNs('mac-a', 'ip', ['link', 'set', 'eth0', 'address', shared]);
    await env.sb.vsctl('set', 'Interface', a.name, `external_ids:nsvswitch-mac=${shared}`, `external_ids:attached-mac=${shared}`);
    expect((await env.nsInterface('mac-a'))?.mac).toBe(shared);
  });

  it('gives mac-b the next candidate, keeps mac-a\'s recorded MAC, and both namespaces work', async () => {
    await env.writeManifest('tenants.yaml', TENANT(['mac-*']));
    agent = await start();
    await ready(2);
    const [a, b] = [(await row('mac-a'))!, (await row('mac-b'))!];
    expect(a.ids['nsvswitch-mac']).toBe(shared);
    expect(b.ids['nsvswitch-mac']).toBe(macFor(keyB, 1));
    expect(b.ids['attached-mac']).toBe(macFor(keyB, 1));
    expect((await env.nsInterface('mac-a'))?.mac).toBe(shared);
    expect((await env.nsInterface('mac-b'))?.mac).toBe(macFor(keyB, 1));
    // Both ports are alive: each reaches the other (ARP from the switch, unicast by MAC).
    const [ipA, ipB] = [a.ids['nsvswitch-ip']!.split('/')[0]!, b.ids['nsvswitch-ip']!.split('/')[0]!];
    expect(await env.pingCount('mac-a', ipB, { count: 3 })).toBe(3);
    expect(await env.pingCount('mac-b', ipA, { count: 3 })).toBe(3);
    // One unicast flow per MAC: no duplicate left for a second port.
    const unicast = (await env.ourFlows()).filter((f) => f.includes('table=20') && f.includes('priority=100'));
    expect(unicast.filter((f) => f.includes(`dl_dst=${shared}`))).toHaveLength(1);
    expect(unicast.filter((f) => f.includes(`dl_dst=${macFor(keyB, 1)}`))).toHaveLength(1);
  });

  it('keeps both MACs over a restart, with nothing replugged', async () => {
    const before = { rows: JSON.stringify(await env.ownedInterfaces()), veths: await env.hostVeths(), flows: (await env.ourFlows()).sort() };
    await agent!.stop();
    agent = await start();
    await ready(2);
    expect(JSON.stringify(await env.ownedInterfaces())).toBe(before.rows);
    expect(await env.hostVeths()).toEqual(before.veths);
    expect((await env.ourFlows()).sort()).toEqual(before.flows);
    const ipA = (await row('mac-a'))!.ids['nsvswitch-ip']!.split('/')[0]!;
    expect(await env.pingCount('mac-b', ipA, { count: 2 })).toBe(2);
  });
});

/**
 * The collision as a hash would make it: both namespaces derive the same MAC
 * (the candidate function is injected, the rest is the real agent). The
 * first one plugged keeps it; the second, plugged later, gets its next
 * candidate instead of a port that can never receive.
 */
describe('agent: two namespaces whose derived MACs collide both get working ports', () => {
  const SHARED = '02:c0:11:1d:ed:00';
  const collide = (key: string, attempt: number): string => (attempt === 0 ? SHARED : macFor(key, attempt));
  let env: AgentEnv;
  let agent: Agent | undefined;

  beforeAll(async () => {
    env = await AgentEnv.start('mac-collide-hash');
    await env.writeManifest('tenants.yaml', TENANT(['col-*']));
  });
  afterAll(async () => {
    await agent?.stop();
    await env?.stop();
  });

  it('plugs the first with the shared MAC and the second with its next candidate; both reach each other', async () => {
    await env.workloads.add('col-1');
    agent = await Agent.start(env.config(), { logger: silentLogger(), http: false, macCandidates: collide });
    await agent.ready;
    await eventually('col-1 ready', async () => (await env.ownedInterfaces()).some((i) => i.ids['nsvswitch-installed'] === 'true'));
    await env.workloads.add('col-2');
    const rows = await env.readyPorts(2);
    const by = (ns: string) => rows.find((i) => i.ids['nsvswitch-netns'] === env.workloads.path(ns))!;
    const key2 = namespaceKey({ path: env.workloads.path('col-2'), inode: (await stat(env.workloads.path('col-2'))).ino });
    expect(by('col-1').ids['nsvswitch-mac']).toBe(SHARED);
    expect(by('col-2').ids['nsvswitch-mac']).toBe(macFor(key2, 1));
    expect((await env.nsInterface('col-2'))?.mac).toBe(macFor(key2, 1));
    const ip = (ns: string) => by(ns).ids['nsvswitch-ip']!.split('/')[0]!;
    expect(await env.pingCount('col-1', ip('col-2'), { count: 3 })).toBe(3);
    expect(await env.pingCount('col-2', ip('col-1'), { count: 3 })).toBe(3);
  });
});
