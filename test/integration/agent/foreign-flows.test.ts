import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { AgentEnv, BRIDGE, eventually, monitorPids, tenantYaml } from '../../helpers/agent-env.js';
import { trafficProblems } from '../../helpers/traffic.js';
import { flowsMatchRows } from '../../helpers/invariants.js';

/**
 * Someone edits our flows by hand while ovs-vswitchd stays up. The agent's
 * flow monitor sees it and repairs at once; the periodic resync is set far
 * beyond the test, so it cannot be what repairs. Its own changes, however
 * many, never count as foreign.
 */
describe.each(['ofctl', 'auto'] as const)('flows changed by someone else are repaired at once (flowDriver: %s)', (flowDriver) => {
  let env: AgentEnv;
  let agent: Agent | undefined;
  // auto runs the in-process OpenFlow monitor; ofctl the ovs-ofctl monitor child.
  const native = flowDriver !== 'ofctl';
  let base: Record<string, number> = {};
  const counts = async (): Promise<Record<string, number>> =>
    Object.fromEntries((await agent!.metrics.flowForeignChanges.get()).values.map((v) => [String(v.labels.change), v.value]));
  /** Foreign changes counted since the monitor was seen running. */
  const foreign = async (): Promise<Record<string, number>> =>
    Object.fromEntries(Object.entries(await counts()).map(([k, v]) => [k, v - (base[k] ?? 0)]).filter(([, v]) => v !== 0));
  const ofctlSpawns = async (): Promise<number> =>
    (await agent!.metrics.processSpawns.get()).values.filter((v) => v.labels.program === 'ovs-ofctl').reduce((a, v) => a + v.value, 0);
  const repaired = (what: string) => eventually(what, async () => (await flowsMatchRows(env)).length === 0, 5_000, 50);
  const rows = () => env.ownedInterfaces();

  beforeAll(async () => {
    env = await AgentEnv.start(`agent-foreign-${flowDriver}`);
    await env.writeManifest('f.yaml', tenantYaml('ff', 540, '10.54.0.0/24', ['ff-*']));
    await env.workloads.add('ff-1', 'ff-2', 'ff-3');
    agent = await Agent.start(env.config({ resyncIntervalMs: 600_000, flowDriver }), { logger: silentLogger(), http: false });
    await agent.ready;
    expect(await flowsMatchRows(env)).toEqual([]);
    // The monitor must be up before anything is changed by hand: delete one of our flows until it is seen (and repaired).
    if (!native) await eventually('the flow monitor running', async () => (await monitorPids(env.sb.mgmt(BRIDGE))).length === 1);
    await eventually('the flow monitor reporting', async () => {
      const r = (await rows())[0]!;
      await env.sb.ofctl('-O', 'OpenFlow15', '--strict', 'del-flows', env.sb.mgmt(BRIDGE), `table=0,priority=50,in_port=${r.ofport}`);
      await new Promise((res) => setTimeout(res, 200));
      return ((await counts()).deleted ?? 0) > 0;
    }, 10_000, 0);
    await eventually('the probe repaired', async () => (await flowsMatchRows(env)).length === 0, 5_000, 50);
    base = await counts();
  });
  afterAll(async () => {
    await agent?.stop();
    await env?.stop();
  });

  it('counts none of its own changes as foreign: plugs, unplugs and a subnet change', async () => {
    await env.workloads.add('ff-4', 'ff-5');
    await eventually('5 ports ready', async () => (await rows()).filter((r) => r.ids['nsvswitch-installed'] === 'true').length === 5);
    await env.workloads.remove('ff-4');
    await env.writeManifest('f.yaml', tenantYaml('ff', 540, '10.55.0.0/24', ['ff-*']));
    await eventually('4 ports ready in 10.55.0.0/24', async () => {
      const r = await rows();
      return r.length === 4 && r.every((x) => x.ids['nsvswitch-ip']!.startsWith('10.55.0.') && x.ids['nsvswitch-installed'] === 'true');
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(await flowsMatchRows(env)).toEqual([]);
    expect(await foreign()).toEqual({});
  });

  it('puts back a flow deleted by hand', async () => {
    const r = (await rows())[0]!;
    const unicast = `table=20,priority=100,metadata=0x${(540).toString(16)},dl_dst=${r.ids['nsvswitch-mac']}`;
    await env.sb.ofctl('-O', 'OpenFlow15', '--strict', 'del-flows', env.sb.mgmt(BRIDGE), unicast);
    expect((await flowsMatchRows(env)).length).toBeGreaterThan(0);
    await repaired('the deleted flow back');
    expect((await foreign()).deleted).toBeGreaterThanOrEqual(1);
  });

  it('rewrites a flow whose actions were changed by hand', async () => {
    const r = (await rows())[1]!;
    const ip = r.ids['nsvswitch-ip']!.split('/')[0]!;
    await env.sb.ofctl('-O', 'OpenFlow15', '--strict', 'mod-flows', env.sb.mgmt(BRIDGE), `table=10,priority=100,arp,metadata=0x${(540).toString(16)},arp_tpa=${ip},arp_op=1,actions=drop`);
    await repaired('the ARP answer restored');
    expect((await foreign()).modified).toBeGreaterThanOrEqual(1);
  });

  it('removes a flow added with our cookie, and leaves a foreign flow alone', async () => {
    await env.sb.ofctl('-O', 'OpenFlow15', 'add-flow', env.sb.mgmt(BRIDGE), 'cookie=0x6e73000000000099,table=0,priority=7,udp,actions=drop');
    await env.sb.ofctl('-O', 'OpenFlow15', 'add-flow', env.sb.mgmt(BRIDGE), 'cookie=0x1234,table=0,priority=8,tcp,actions=drop');
    await eventually('the flow posing as ours removed', async () => {
      const all = await env.sb.ofctl('-O', 'OpenFlow15', 'dump-flows', env.sb.mgmt(BRIDGE));
      return !all.includes('priority=7,udp') && all.includes('priority=8,tcp');
    }, 5_000, 50);
    expect((await foreign()).added).toBeGreaterThanOrEqual(1);
    await env.sb.ofctl('-O', 'OpenFlow15', '--strict', 'del-flows', env.sb.mgmt(BRIDGE), 'table=0,priority=8,tcp');
  });

  it('replays everything after del-flows on the whole bridge, and traffic flows again', async () => {
    await env.sb.ofctl('-O', 'OpenFlow15', 'del-flows', env.sb.mgmt(BRIDGE));
    await repaired('every flow back');
    const r = await rows();
    const ipOf = (n: string) => r.find((x) => x.ids['nsvswitch-netns']!.endsWith(`/${n}`))!.ids['nsvswitch-ip']!.split('/')[0]!;
    expect(await env.pingCount('ff-1', ipOf('ff-2'), { count: 3 })).toBeGreaterThan(0);
    expect(trafficProblems(await env.trafficTo('ff-1', [ipOf('ff-2')]), () => true)).toEqual([]);
    expect((await foreign()).deleted).toBeGreaterThanOrEqual(20);
  });

  it('restarts its monitor after ovs-vswitchd restarts, and repairs a later edit again', async () => {
    const before = await monitorPids(env.sb.mgmt(BRIDGE));
    await env.sb.kill('ovs-vswitchd');
    await env.sb.startVswitchd();
    await repaired('every flow replayed after the restart');
    if (!native) {
      await eventually('a new flow monitor running', async () => {
        const now = await monitorPids(env.sb.mgmt(BRIDGE));
        return now.length === 1 && now[0] !== before[0];
      }, 10_000, 50);
    }
    const deletedBefore = (await foreign()).deleted ?? 0;
    // The new monitor may still be starting: delete until it sees one (each try is a real edit to repair).
    await eventually('a deletion seen by the new monitor', async () => {
      const r = (await rows())[2]!;
      await env.sb.ofctl('-O', 'OpenFlow15', '--strict', 'del-flows', env.sb.mgmt(BRIDGE), `table=0,priority=50,in_port=${r.ofport}`);
      await new Promise((res) => setTimeout(res, 200));
      return ((await foreign()).deleted ?? 0) > deletedBefore;
    }, 10_000, 0);
    await repaired('the spoof-drop flow back');
  });

  it(native ? 'spawned no ovs-ofctl in its whole life, flow monitor included, and ends its monitor when it stops' : 'runs one ovs-ofctl monitor child and ends it when it stops', async () => {
    expect(await monitorPids(env.sb.mgmt(BRIDGE))).toHaveLength(native ? 0 : 1);
    if (native) expect(await ofctlSpawns()).toBe(0);
    else expect(await ofctlSpawns()).toBeGreaterThan(0);
    await agent!.stop();
    agent = undefined;
    await eventually('no monitor left', async () => (await monitorPids(env.sb.mgmt(BRIDGE))).length === 0, 5_000, 50);
  });
});
