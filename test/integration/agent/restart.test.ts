import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import { Metrics } from '../../../src/observe/metrics.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { AgentEnv, BRIDGE, counterSum, eventually, pool, tenantYaml, settleAndStop } from '../../helpers/agent-env.js';
import { trafficProblems } from '../../helpers/traffic.js';

const N = 20;
const NAMES = Array.from({ length: N }, (_, i) => `rs-${i}`);

interface Snapshot {
  /** Port name → its recorded ip, mac and namespace (what the database says). */
  rows: Map<string, string>;
  /** Host veth name → ifindex (a re-created veth gets a new one). */
  veths: Map<string, number>;
  /** Namespace → what its interface looks like inside (ifindex, MAC, MTU, addresses). */
  inside: Map<string, string>;
  flows: string[];
}

describe('agent restart: adoption with zero changes, garbage collection, foreign ports untouched', () => {
  let env: AgentEnv;
  let agent: Agent | undefined;
  let before: Snapshot;
  let foreignUuid: string;

  async function snapshot(names: readonly string[]): Promise<Snapshot> {
    const owned = await env.ownedInterfaces();
    const rows = new Map(owned.map((i) => [i.name, [i.ids['nsvswitch-ip'], i.ids['nsvswitch-mac'], i.ids['nsvswitch-netns'], i.ids['nsvswitch-installed']].join(' ')]));
    const inside = new Map(await pool(names, 8, async (n) => [n, JSON.stringify(await env.nsInterface(n))] as const));
    return { rows, veths: await env.hostVeths(), inside, flows: (await env.ourFlows()).sort() };
  }

  async function startAgent(): Promise<{ agent: Agent; metrics: Metrics }> {
    const metrics = new Metrics({ defaultMetrics: false });
    const a = await Agent.start(env.config(), { logger: silentLogger(), http: false, metrics });
    await a.ready;
    return { agent: a, metrics };
  }

  beforeAll(async () => {
    env = await AgentEnv.start('agent-restart');
    await env.writeManifest('tenants.yaml', tenantYaml('teal', 300, '10.30.0.0/24', ['rs-*'], '  gateway: 10.30.0.1\n  interface: { name: eth0, mtu: 1450 }\n'));
    await env.workloads.add(...NAMES);
    agent = (await startAgent()).agent;
    await env.readyPorts(N);
    // A port someone else manages on the same bridge: an internal port and a veth whose name has our prefix.
    await env.sb.inHost('ip', ['link', 'add', 'nsvforeign0', 'type', 'veth', 'peer', 'name', 'frpeer0']);
    await env.sb.vsctl('add-port', BRIDGE, 'ext0', '--', 'set', 'Interface', 'ext0', 'type=internal', 'external_ids:owner=someone-else',
      '--', 'add-port', BRIDGE, 'nsvforeign0', '--', 'set', 'Port', 'nsvforeign0', 'external_ids:owner=someone-else');
    foreignUuid = (await env.sb.vsctl('get', 'Port', 'ext0', '_uuid')).trim();
    before = await snapshot(NAMES);
    await agent.stop();
    agent = undefined;
  });

  afterAll(async () => {
    await agent?.stop();
    await env?.stop();
  });

  it('a restart with nothing changed adopts every port: zero OVSDB writes, zero flow-mods, same veths and addresses', async () => {
    const s = await startAgent();
    agent = s.agent;
    await settleAndStop(agent);
    agent = undefined;

    expect(await counterSum(s.metrics.ovsdbTransactions, { kind: 'write' })).toBe(0);
    expect(await counterSum(s.metrics.flowMods)).toBe(0);
    const after = await snapshot(NAMES);
    expect(after.rows).toEqual(before.rows);
    expect(after.veths).toEqual(before.veths);
    expect(after.inside).toEqual(before.inside);
    expect(after.flows).toEqual(before.flows);
    expect(s.agent.status().namespaces.filter((n) => n.state === 'ready')).toHaveLength(N);
  });

  it('ports whose namespace vanished while the agent was down are removed on start; the others and foreign ports stay', async () => {
    const gone = NAMES.slice(0, 3);
    const goneVeths = [...before.rows].filter(([, v]) => gone.some((g) => v.includes(`/${g} `))).map(([name]) => name);
    expect(goneVeths).toHaveLength(3);
    await env.workloads.remove(...gone);

    const s = await startAgent();
    agent = s.agent;
    await eventually('vanished ports removed', async () => (await env.ownedInterfaces()).length === N - 3);
    const rest = NAMES.slice(3);
    const after = await snapshot(rest);
    // Rows and veths of the vanished namespaces are gone; the rest are unchanged, to the ifindex.
    expect([...after.rows.keys()].sort()).toEqual([...before.rows.keys()].filter((n) => !goneVeths.includes(n)).sort());
    for (const [name, v] of after.rows) expect(v).toBe(before.rows.get(name));
    await eventually('vanished veths gone', async () => {
      const v = await env.hostVeths();
      return goneVeths.every((g) => !v.has(g));
    });
    for (const name of after.rows.keys()) expect(after.veths.get(name)).toBe(before.veths.get(name));
    for (const n of rest) expect(after.inside.get(n)).toBe(before.inside.get(n));

    // Foreign ports: rows, external_ids and the prefixed veth all untouched.
    expect((await env.sb.vsctl('get', 'Port', 'ext0', '_uuid')).trim()).toBe(foreignUuid);
    expect((await env.sb.vsctl('get', 'Interface', 'ext0', 'external_ids')).trim()).toBe('{owner=someone-else}');
    expect((await env.sb.vsctl('list-ports', BRIDGE)).split('\n')).toEqual(expect.arrayContaining(['ext0', 'nsvforeign0']));
    expect((await env.hostVeths()).has('nsvforeign0')).toBe(true);
    // The survivors still talk to each other.
    const peerIp = (await env.nsInterface(rest[1]!))!.addrs[0]!.split('/')[0]!;
    expect(await env.ping(rest[0]!, peerIp)).toBe(true);
    expect(trafficProblems(await env.trafficTo(rest[0]!, [peerIp]), () => true)).toEqual([]);
  });
});
