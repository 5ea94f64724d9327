import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OvnEnv, type OvnHost } from '../../helpers/ovn-env.js';
import { AgentChild, eventually, metricSum, tenantYaml } from '../../helpers/agent-env.js';
import type { TrafficPair, TrafficResult } from '../../helpers/traffic.js';
import { trafficSettles } from './settle-traffic.js';
import { run } from '../../../src/exec/run.js';
import { spoofAcross } from './spoof-frames.js';

/**
 * The agent's OVN backend on the real thing: 3 simulated hosts, each with
 * its own userspace OVS, ovn-controller and one nsvswitch agent (living in
 * the host's namespace, reaching the clustered NB/SB over the underlay),
 * the same tenant manifests on every host. Tenant traffic crosses hosts
 * over Geneve; OVN's port security and logical switches do the isolating.
 * ovn-env.test.ts is the positive control: there, without port_security, the
 * same spoofed frames get through.
 */

const TENANTS: Record<string, { id: number; subnet: string; glob: string }> = {
  blue: { id: 101, subnet: '10.1.0.0/24', glob: 'blue-*' },
  red: { id: 102, subnet: '10.2.0.0/24', glob: 'red-*' },
};

interface Lsp {
  readonly uuid: string;
  readonly name: string;
  readonly addresses: string[];
  readonly portSecurity: string[];
  readonly options: Record<string, string>;
  readonly ids: Record<string, string>;
}

interface Plugged {
  readonly host: OvnHost;
  readonly name: string;
  readonly path: string;
  readonly ip: string;
  readonly mac: string;
  readonly lsp: string;
}

const asList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined || v === '' ? [] : [String(v)]);
const asMap = (v: unknown): Record<string, string> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, string>) : {});

describe('nsvswitch agents in OVN mode on 3 hosts', () => {
  let env: OvnEnv;
  let hosts: OvnHost[];
  const agents = new Map<string, AgentChild>();
  const manifestDirs = new Map<string, string>();
  const workloads = new Map<string, Plugged>();

  const startAgent = async (h: OvnHost): Promise<AgentChild> => {
    const a = AgentChild.startIn(h.hostNetns, env.agentArgs(h, manifestDirs.get(h.name)!));
    agents.set(h.name, a);
    try {
      await a.ready(60_000);
    } catch (err) {
      throw new Error(`agent on ${h.name} not ready: ${String(err)}\n${a.log.slice(-3000)}`, { cause: err });
    }
    return a;
  };

  async function lsps(): Promise<Lsp[]> {
    const rows = await env.rows('nb', 'Logical_Switch_Port', ['_uuid', 'name', 'addresses', 'port_security', 'options', 'external_ids']);
    return rows.map((r) => ({
      uuid: String(r._uuid), name: String(r.name), addresses: asList(r.addresses), portSecurity: asList(r.port_security),
      options: asMap(r.options), ids: asMap(r.external_ids),
    }));
  }

  /** Our LSPs made for a namespace file (the key is path#inode). */
  const lspsOf = (all: Lsp[], path: string): Lsp[] => all.filter((l) => (l.ids['nsvswitch-ns'] ?? '').split('#')[0] === path);

  /** The workload's interface inside its namespace: MAC and address as the kernel has them. */
  async function inside(path: string): Promise<{ mac: string; ip: string } | undefined> {
    const r = await run('ip', ['-j', 'addr', 'show', 'dev', 'eth0'], { netns: path, okExitCodes: [1] });
    if (r.exitCode !== 0) return undefined;
    const [l] = JSON.parse(r.stdout || '[]') as { address?: string; addr_info?: { family: string; local: string }[] }[];
    const ip = l?.addr_info?.find((a) => a.family === 'inet')?.local;
    return l?.address && ip ? { mac: l.address, ip } : undefined;
  }

  /** OVS interfaces of this host that record a namespace, with their external_ids. */
  async function ifacesOf(h: OvnHost): Promise<{ name: string; ids: Record<string, string> }[]> {
    const out = await h.vsctl('--format=json', '--columns=name,external_ids', 'list', 'Interface');
    const j = JSON.parse(out) as { data: [string, [string, [string, string][]]][] };
    return j.data.map(([name, ids]) => ({ name, ids: Object.fromEntries(ids[1]) }));
  }

  /**
   * Waits until every namespace is plugged: exactly one LSP of ours, its OVS interface bound and
   * installed by ovn-controller and marked ready by the agent, the address inside. One NB read and
   * one OVS read per host per round, whatever the number of namespaces.
   */
  async function waitPlugged(want: readonly (readonly [OvnHost, string])[], timeoutMs = 90_000): Promise<Plugged[]> {
    const done = new Map<string, Plugged>();
    const key = (h: OvnHost, n: string): string => `${h.name}/${n}`;
    await eventually(`${want.length} namespace(s) plugged and ovn-installed`, async () => {
      const all = await lsps();
      const left = want.filter(([h, n]) => !done.has(key(h, n)));
      const ifaces = new Map(await Promise.all([...new Set(left.map(([h]) => h))].map(async (h) => [h.name, await ifacesOf(h)] as const)));
      await Promise.all(left.map(async ([h, n]) => {
        const path = h.workloads.path(n);
        const mine = lspsOf(all, path);
        if (mine.length !== 1) return;
        const iface = ifaces.get(h.name)!.find((i) => i.ids['iface-id'] === mine[0]!.name);
        if (iface?.ids['ovn-installed'] !== 'true' || iface.ids['nsvswitch-installed'] !== 'true') return;
        const k = await inside(path);
        if (k) done.set(key(h, n), { host: h, name: n, path, ip: k.ip, mac: k.mac, lsp: mine[0]!.name });
      }));
      return done.size === want.length;
    }, timeoutMs, 250).catch((err: unknown) => {
      const missing = want.filter(([h, n]) => !done.has(key(h, n))).map(([h, n]) => key(h, n));
      throw new Error(`${String(err)}; not plugged: ${missing.join(', ')}`, { cause: err });
    });
    const out = want.map(([h, n]) => done.get(key(h, n))!);
    for (const p of out) workloads.set(p.name, p);
    return out;
  }

  beforeAll(async () => {
    const t0 = Date.now();
    env = await OvnEnv.start({ label: 'ovn-agent' });
    hosts = env.hosts;
    await Promise.all(hosts.map(async (h) => {
      const dir = join(h.rundir, 'tenants.d');
      await mkdir(dir, { recursive: true, mode: 0o755 });
      for (const [name, t] of Object.entries(TENANTS)) await writeFile(join(dir, `${name}.yaml`), tenantYaml(name, t.id, t.subnet, [t.glob]));
      manifestDirs.set(h.name, dir);
    }));
    await Promise.all(hosts.map((h) => startAgent(h)));
    console.log(`[ovn-agent] env and 3 agents ready in ${Date.now() - t0} ms`);
  });

  afterAll(async () => {
    await Promise.all([...agents.values()].map((a) => a.kill()));
    await env?.stop();
  });

  it('sets each host up for OVN from its config, and every chassis registers', async () => {
    for (const h of hosts) {
      const j = JSON.parse(await h.vsctl('--format=json', '--columns=external_ids', 'list', 'Open_vSwitch')) as { data: [[string, [string, string][]]][] };
      const got = Object.fromEntries(j.data[0]![0][1]);
      expect(got).toMatchObject({
        'system-id': h.systemId, 'ovn-remote': env.sbRemotes, 'ovn-encap-type': 'geneve', 'ovn-encap-ip': h.encapIp,
        'ovn-bridge': 'br-int', 'ovn-bridge-datapath-type': 'netdev',
      });
    }
    await env.waitChassis();
  });

  it('carries TCP, UDP and ping between same-tenant workloads across hosts', async () => {
    await hosts[0]!.workloads.add('blue-1', 'red-1');
    await hosts[1]!.workloads.add('blue-2', 'red-2');
    await hosts[2]!.workloads.add('blue-3');
    const [b1, b2, b3] = await waitPlugged([[hosts[0]!, 'blue-1'], [hosts[1]!, 'blue-2'], [hosts[2]!, 'blue-3'], [hosts[0]!, 'red-1'], [hosts[1]!, 'red-2']]);

    const all = await lsps();
    for (const w of [b1!, b2!, b3!]) {
      const [l] = lspsOf(all, w.path);
      expect(l!.addresses).toEqual([`${w.mac} ${w.ip}`]);
      expect(l!.portSecurity).toEqual([`${w.mac} ${w.ip}`]);
      expect(l!.options['requested-chassis']).toBe(w.host.systemId);
      expect(l!.ids['nsvswitch-chassis']).toBe(w.host.systemId);
    }
    // One logical switch per tenant however many hosts made it, its tunnel key the tenant id.
    const switches = await env.rows('nb', 'Logical_Switch', ['_uuid', 'name', 'other_config']);
    const datapaths = await env.rows('sb', 'Datapath_Binding', ['tunnel_key', 'external_ids']);
    for (const [name, t] of Object.entries(TENANTS)) {
      const ls = switches.filter((x) => x.name === `nsvs-${name}`);
      expect(ls.map((x) => asMap(x.other_config)['requested-tnl-key']), `switch of ${name}`).toEqual([String(t.id)]);
      const dp = datapaths.filter((d) => asMap(d.external_ids)['logical-switch'] === ls[0]!._uuid);
      expect(dp.map((d) => d.tunnel_key), `datapath of ${name}`).toEqual([t.id]);
    }
    const bound = await env.rows('sb', 'Port_Binding', ['logical_port', 'chassis']);
    const chassis = new Map((await env.rows('sb', 'Chassis', ['_uuid', 'name'])).map((c) => [String(c._uuid), String(c.name)]));
    for (const w of [b1!, b2!, b3!]) expect(chassis.get(String(bound.find((b) => b.logical_port === w.lsp)?.chassis))).toBe(w.host.systemId);

    const blue = [b1!, b2!, b3!];
    const pairs = blue.flatMap((a) => blue.filter((b) => b !== a).map((b) => ({ from: a.path, to: b.path, ip: b.ip, label: `${a.name}@${a.host.name} -> ${b.name}@${b.host.name}` })));
    expect(await trafficSettles(pairs, () => true)).toEqual([]);
    const ping = await run('ping', ['-n', '-q', '-c', '3', '-i', '0.2', '-W', '2', b3!.ip], { netns: b1!.path, okExitCodes: [1] });
    expect(ping.stdout).toContain('3 received');
  });

  it('blocks TCP and UDP between tenants, across and within hosts, even with on-link routes both ways', async () => {
    const [b1, b2, b3, r1, r2] = ['blue-1', 'blue-2', 'blue-3', 'red-1', 'red-2'].map((n) => workloads.get(n)!);
    for (const w of [b1!, b2!, b3!]) await run('ip', ['route', 'add', TENANTS.red!.subnet, 'dev', 'eth0'], { netns: w.path });
    for (const w of [r1!, r2!]) await run('ip', ['route', 'add', TENANTS.blue!.subnet, 'dev', 'eth0'], { netns: w.path });
    // And the other tenant's MACs as permanent neighbours: frames really leave for the other tenant's
    // ports (no ARP to fail first), so it is OVN that must drop them.
    for (const [xs, ys] of [[[b1!, b2!, b3!], [r1!, r2!]], [[r1!, r2!], [b1!, b2!, b3!]]] as const) {
      for (const x of xs) for (const y of ys) await run('ip', ['neigh', 'replace', y.ip, 'lladdr', y.mac, 'nud', 'permanent', 'dev', 'eth0'], { netns: x.path });
    }
    const pair = (a: Plugged, b: Plugged): TrafficPair => ({ from: a.path, to: b.path, ip: b.ip, label: `${a.name}@${a.host.name} -> ${b.name}@${b.host.name}` });
    const pairs = [
      pair(b1!, r1!), pair(r1!, b1!), // same host (h1)
      pair(b2!, r2!), pair(r2!, b2!), // same host (h2)
      pair(b1!, r2!), pair(r2!, b1!), pair(b3!, r1!), pair(r1!, b3!), // across hosts
      pair(r1!, r2!), pair(b1!, b2!), // positive controls in the same run
    ];
    const allowed = (r: TrafficResult): boolean => r.label.startsWith('red-1') ? r.label.includes('-> red-2') : r.label.startsWith('blue-1') && r.label.includes('-> blue-2');
    expect(await trafficSettles(pairs, allowed)).toEqual([]);
  });

  it('drops spoofed source MACs and addresses by port security (the same frames pass without it in ovn-env.test.ts)', async () => {
    const a = workloads.get('blue-1')!, b = workloads.get('blue-2')!;
    const r = await spoofAcross(a.path, b.path, {
      dstMac: b.mac, dstIp: b.ip,
      frames: [
        { kind: 'genuine', srcMac: a.mac, srcIp: a.ip },
        { kind: 'spoof-ip', srcMac: a.mac, srcIp: '10.1.0.250' },
        { kind: 'spoof-ip-red', srcMac: a.mac, srcIp: workloads.get('red-1')!.ip },
        { kind: 'spoof-mac', srcMac: '0a:00:00:00:99:99', srcIp: a.ip },
        { kind: 'spoof-mac-of-neighbour', srcMac: workloads.get('blue-3')!.mac, srcIp: workloads.get('blue-3')!.ip },
      ],
    });
    const got = (k: string): number => r.received[k]?.frames ?? 0;
    // The genuine frames are the control in the same run (any of them arriving will do: no timing bets).
    expect(got('genuine'), `genuine frames arrived of ${r.sent.genuine}`).toBeGreaterThan(0);
    expect({ spoofIp: got('spoof-ip'), spoofIpRed: got('spoof-ip-red'), spoofMac: got('spoof-mac'), neighbour: got('spoof-mac-of-neighbour') })
      .toEqual({ spoofIp: 0, spoofIpRed: 0, spoofMac: 0, neighbour: 0 });
  });

  /**
   * Creates namespaces on every host at once and waits for all of them. With `between`, in two waves:
   * the second wave is created only after `between` resolves (so it is certainly still to do then).
   */
  async function burst(prefix: string, perHost: number, between?: () => Promise<void>): Promise<Plugged[]> {
    const names = hosts.map((h) => Array.from({ length: perHost }, (_, i) => `blue-${prefix}-${h.name}-${i}`));
    const cut = between ? Math.ceil(perHost / 2) : perHost;
    const first = Promise.all(hosts.map((h, k) => h.workloads.add(...names[k]!.slice(0, cut))));
    if (between) {
      await between();
      await Promise.all(hosts.map((h, k) => h.workloads.add(...names[k]!.slice(cut))));
    }
    await first;
    return waitPlugged(hosts.flatMap((h, k) => names[k]!.map((n) => [h, n] as const)), 120_000);
  }

  /** Every LSP of ours once per namespace, addresses unique in the NB and inside the namespaces. */
  async function expectUnique(ws: Plugged[]): Promise<void> {
    const all = await lsps();
    const ours = all.filter((l) => l.ids['nsvswitch-owner'] === 'nsvswitch');
    for (const w of ws) expect(lspsOf(all, w.path).map((l) => l.name), `${w.name}@${w.host.name}`).toEqual([w.lsp]);
    const blueIps = ours.filter((l) => l.ids['nsvswitch-tenant'] === 'blue').map((l) => l.ids['nsvswitch-ip']);
    expect(new Set(blueIps).size, `blue addresses in the NB: ${blueIps.join(' ')}`).toBe(blueIps.length);
    const names = ours.map((l) => l.name);
    expect(new Set(names).size).toBe(names.length);
    const insideIps = ws.map((w) => w.ip);
    expect(new Set(insideIps).size, `addresses inside the namespaces: ${insideIps.join(' ')}`).toBe(insideIps.length);
    for (const w of ws) expect(lspsOf(all, w.path)[0]!.ids['nsvswitch-ip']).toBe(w.ip);
    // And one OVS interface per namespace on its host, bound to that LSP.
    const ifaces = new Map(await Promise.all(hosts.map(async (h) => [h.name, await ifacesOf(h)] as const)));
    for (const w of ws) {
      const bound = ifaces.get(w.host.name)!.filter((i) => i.ids['nsvswitch-netns'] === w.path);
      expect(bound.map((i) => i.ids['iface-id']), `${w.name}@${w.host.name} OVS interfaces`).toEqual([w.lsp]);
    }
  }

  /** Claims the northbound refused (another host won an address race), summed over the agents. */
  async function claimRefusals(): Promise<number> {
    const texts = await Promise.all([...agents.values()].map((a) => a.metrics()));
    return texts.reduce((n, t) => n + metricSum(t, 'nsvswitch_ovn_claim_refusals_total'), 0);
  }

  it('gives a concurrent burst of namespaces on all 3 hosts unique addresses', async () => {
    const ws = await burst('a', 8);
    await expectUnique([...workloads.values()]);
    console.log(`[ovn-agent] burst of ${ws.length}: ${await claimRefusals()} claim(s) refused by the NB so far (address races lost)`);
    // One pair from the burst across hosts carries traffic.
    const [x, y] = [ws[0]!, ws.at(-1)!];
    expect(await trafficSettles([{ from: x.path, to: y.path, ip: y.ip }], () => true)).toEqual([]);
  });

  it('plugs every workload exactly once when the northbound leader is killed mid-burst', async () => {
    const before = await env.raftLog('nb');
    let killed: number | undefined;
    let inNbAtKill = 0;
    const ws = await burst('b', 10, async () => {
      // Mid-burst: once the first of the new ports is in the NB, kill the member that leads; the
      // second wave of namespaces is created after that.
      inNbAtKill = await eventually('the first port of the burst in the NB', async () => (await lsps()).filter((l) => (l.ids['nsvswitch-ns'] ?? '').includes('/blue-b-')).length, 60_000, 50);
      killed = await env.nbLeader();
      await env.killMember('nb', killed!);
    });
    expect(killed).toBeTypeOf('number');
    console.log(`[ovn-agent] NB leader nb${killed} killed with ${inNbAtKill} of ${ws.length} burst ports in the NB`);
    expect(inNbAtKill).toBeLessThan(ws.length);
    await env.waitCluster('nb');
    const after = await env.raftLog('nb');
    expect(after?.leader).not.toBe(killed);
    expect(after!.term).toBeGreaterThan(before!.term);
    await expectUnique([...workloads.values()]);
    for (const a of agents.values()) expect(metricSum(await a.metrics(), 'nsvswitch_ovn_nb_connected')).toBe(1);
    const [x, y] = [ws[0]!, ws.at(-1)!];
    expect(await trafficSettles([{ from: x.path, to: y.path, ip: y.ip }], () => true)).toEqual([]);
    await env.startMember('nb', killed!);
    await env.waitCluster('nb');
  });

  it('writes nothing to the northbound or local OVS when an agent restarts', async () => {
    const h = hosts[1]!;
    const snapshot = async (): Promise<string> => JSON.stringify({
      lsps: (await lsps()).map((l) => l).sort((p, q) => p.uuid.localeCompare(q.uuid)),
      switches: await env.nbctl('--format=json', '--columns=_uuid,name,other_config,external_ids', 'list', 'Logical_Switch'),
      ifaces: await h.vsctl('--format=json', '--columns=_uuid,name,external_ids,ofport', 'list', 'Interface'),
      ports: await h.vsctl('--format=json', '--columns=_uuid,name,external_ids', 'list', 'Port'),
      ovs: await h.vsctl('--format=json', '--columns=external_ids', 'list', 'Open_vSwitch'),
    });
    const before = await snapshot();
    const logBefore = await env.raftLog('nb');
    await agents.get(h.name)!.signal('SIGTERM');
    const a = await startAgent(h);
    // A pass or two after ready, then look again.
    await new Promise((r) => setTimeout(r, 2000));
    const metrics = await a.metrics();
    const logAfter = await env.raftLog('nb');
    expect(await snapshot()).toBe(before);
    if (logAfter!.term === logBefore!.term) expect(logAfter!.end, 'NB Raft log end (one entry per committed transaction)').toBe(logBefore!.end);
    else console.warn(`[ovn-agent] NB term changed during the restart (${logBefore!.term} -> ${logAfter!.term}): log end not compared`);
    const nbWrites = metricSum(metrics, 'nsvswitch_ovn_nb_transactions_total', 'kind="write"');
    console.log(`[ovn-agent] restart: NB log end ${logBefore!.end} -> ${logAfter!.end}; nsvswitch_ovn_nb_transactions_total ${nbWrites}`);
    expect(nbWrites, 'northbound writes after the restart').toBe(0);
    expect(metricSum(metrics, 'nsvswitch_ovsdb_transactions_total', 'kind="write"'), 'local OVSDB writes after the restart').toBe(0);
    expect(metricSum(metrics, 'nsvswitch_flow_mods_total'), 'flow-mods after the restart').toBe(0);
  });

  it('removes a workload\'s logical port from the NB and its Port_Binding from the SB when it goes', async () => {
    const w = workloads.get('blue-3')!;
    expect((await lsps()).some((l) => l.name === w.lsp)).toBe(true);
    expect((await env.rows('sb', 'Port_Binding', ['logical_port'])).some((b) => b.logical_port === w.lsp)).toBe(true);
    await w.host.workloads.remove(w.name);
    workloads.delete(w.name);
    await eventually(`${w.lsp} gone from NB and SB`, async () => {
      const nb = (await lsps()).some((l) => l.name === w.lsp);
      const sb = (await env.rows('sb', 'Port_Binding', ['logical_port'])).some((b) => b.logical_port === w.lsp);
      return !nb && !sb;
    }, 30_000, 200);
    expect((await ifacesOf(w.host)).some((i) => i.ids['iface-id'] === w.lsp)).toBe(false);
  });

  it('carries traffic again after ovn-controller restarts', async () => {
    const a = workloads.get('blue-1')!, b = workloads.get('blue-2')!;
    const before = await b.host.controllerPid();
    await env.restartOvnController(b.host);
    expect(await b.host.controllerPid()).not.toBe(before);
    await eventually('ovn-controller connected again', async () => (await b.host.controllerAppctl('connection-status')).trim() === 'connected', 30_000, 200);
    expect(await trafficSettles([
      { from: a.path, to: b.path, ip: b.ip, label: `${a.name} -> ${b.name}` },
      { from: b.path, to: a.path, ip: a.ip, label: `${b.name} -> ${a.name}` },
    ], () => true, 10)).toEqual([]);
  });
});
