import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { Agent } from '../../../src/agent/agent.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { run } from '../../../src/exec/run.js';
import { Category, decodeCookie } from '../../../src/core/pipeline/index.js';
import { AgentEnv, BRIDGE, pool, tenantYaml } from '../../helpers/agent-env.js';
import { trafficMatrix, trafficProblems, type TrafficPair } from '../../helpers/traffic.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'nsvswitch.js');

// Three tenants in neighbouring subnets; every namespace gets an on-link route to all of 10.70.0.0/16,
// so a packet for another tenant goes out on eth0 to the switch: isolation is the switch's doing, not routing's.
const TENANTS = [
  { name: 'iso-a', id: 701, subnet: '10.70.1.0/24', prefix: 'ia' },
  { name: 'iso-b', id: 702, subnet: '10.70.2.0/24', prefix: 'ib' },
  { name: 'iso-c', id: 703, subnet: '10.70.3.0/24', prefix: 'ic' },
];
const NAMES = TENANTS.flatMap((t) => [0, 1, 2].map((i) => `${t.prefix}-${i}`));

interface Port {
  readonly ns: string;
  readonly tenant: string;
  readonly ip: string;
  readonly mac: string;
}

describe('tenant isolation of agent-plugged namespaces, with real traffic', () => {
  let env: AgentEnv;
  let agent: Agent | undefined;
  let ports: Port[];
  const port = (ns: string): Port => ports.find((p) => p.ns === ns)!;
  /** A TCP/UDP pair from one workload to another's address. */
  const flow = (a: Port, b: Port, source?: string): TrafficPair => ({
    from: env.workloads.path(a.ns), to: env.workloads.path(b.ns), ip: b.ip, label: `${a.ns} -> ${b.ns}`, ...(source ? { source } : {}),
  });
  const tenantOfPath = (path: string): string | undefined => ports.find((p) => env.workloads.path(p.ns) === path)?.tenant;

  /**
   * IPv4 datagrams a namespace's stack received (all, broadcast; /proc/net read from inside) and its loopback
   * packets. Not eth0's counters: the host end of the veth is a kernel interface too, and what the host
   * stack sends on it bypasses the switch.
   */
  async function ipReceived(ns: string): Promise<{ all: number; broadcast: number; lo: number }> {
    // One process reads lo's counter, the IP counters, then lo's again; a loopback packet in between
    // (the stack's own traffic) would make the pair inconsistent, so such a sample is taken again.
    const loRx = (dev: string): number => Number(/^\s*lo:\s*(\d+)\s+(\d+)/m.exec(dev)?.[2] ?? NaN);
    for (let attempt = 0; ; attempt++) {
      const out = (await env.inNs(ns, 'cat', ['/proc/net/dev', '/proc/net/snmp', '/proc/net/netstat', '/proc/net/dev'])).stdout;
      const parts = out.split(/(?=^Inter-\|)/m);
      const lo1 = loRx(parts[0] ?? ''), lo2 = loRx(parts[1] ?? '');
      if (lo1 !== lo2 && attempt < 10) continue;
      const counter = (group: string, name: string): number => {
        const [head, values] = out.split('\n').filter((l) => l.startsWith(`${group}: `));
        const i = head?.split(' ').indexOf(name) ?? -1;
        return Number(values?.split(' ')[i]);
      };
      return { all: counter('Ip', 'InReceives'), broadcast: counter('IpExt', 'InBcastPkts'), lo: lo2 };
    }
  }

  /** Packets each tenant's flood rule (table 20, broadcast/multicast) has sent, by tenant id. */
  async function floodPackets(): Promise<Map<number, number>> {
    const out = await env.sb.ofctl('-O', 'OpenFlow15', 'dump-flows', env.sb.mgmt(BRIDGE), 'cookie=0x6e73000000000000/0xffff000000000000');
    const m = new Map<number, number>();
    for (const line of out.split('\n')) {
      const cookie = /cookie=(0x[0-9a-f]+)/.exec(line)?.[1];
      const packets = /n_packets=(\d+)/.exec(line)?.[1];
      if (!cookie || !packets) continue;
      const c = decodeCookie(BigInt(cookie));
      if (c.category === Category.l2Flood) m.set(c.tenantId, (m.get(c.tenantId) ?? 0) + Number(packets));
    }
    return m;
  }

  async function neighbour(ns: string, ip: string): Promise<{ state: string; lladdr?: string }> {
    const r = await env.inNs(ns, 'ip', ['-j', 'neigh', 'show', 'to', ip, 'dev', 'eth0']);
    const e = (JSON.parse(r.stdout || '[]') as { state?: string[]; lladdr?: string }[])[0];
    return e ? { state: (e.state ?? []).join(','), ...(e.lladdr !== undefined ? { lladdr: e.lladdr } : {}) } : { state: 'NONE' };
  }

  const nsIp = (ns: string, lines: string[]) => run('ip', ['-batch', '-'], { netns: env.workloads.path(ns), input: `${lines.join('\n')}\n` });

  beforeAll(async () => {
    env = await AgentEnv.start('agent-iso');
    await env.writeManifest('tenants.yaml', TENANTS.map((t) => tenantYaml(t.name, t.id, t.subnet, [`${t.prefix}-*`])).join('---\n'));
    await env.workloads.add(...NAMES);
    agent = await Agent.start(env.config(), { logger: silentLogger(), http: false });
    await agent.ready;
    const rows = await env.readyPorts(9);
    ports = rows.map((r) => ({
      ns: r.ids['nsvswitch-netns']!.split('/').pop()!,
      tenant: r.ids['nsvswitch-tenant']!,
      ip: r.ids['nsvswitch-ip']!.split('/')[0]!,
      mac: r.ids['nsvswitch-mac']!,
    }));
    await pool(NAMES, 9, (n) => nsIp(n, ['route add 10.70.0.0/16 dev eth0']));
  });
  afterAll(async () => {
    await agent?.stop();
    await env?.stop();
  });

  it('every same-tenant pair pings and carries TCP and UDP intact; no cross-tenant pair exchanges a byte', async () => {
    const pairs = ports.flatMap((a) => ports.filter((b) => b !== a).map((b) => [a, b] as const));
    const [results, flows] = await Promise.all([
      pool(pairs, 24, async ([a, b]) => ({ a, b, got: await env.pingCount(a.ns, b.ip, { count: 1, waitS: 1 }) })),
      trafficMatrix(pairs.map(([a, b]) => flow(a, b))),
    ]);
    const wrong = results.filter(({ a, b, got }) => (a.tenant === b.tenant) !== (got > 0)).map(({ a, b, got }) => `${a.ns} -> ${b.ns}: ${got} replies`);
    expect(wrong).toEqual([]);
    expect(results.filter((r) => r.got > 0)).toHaveLength(3 * 3 * 2);
    expect(trafficProblems(flows, (r) => tenantOfPath(r.pair.from) === tenantOfPath(r.pair.to))).toEqual([]);
    expect(flows.filter((r) => r.tcp.ok && r.udp.ok)).toHaveLength(3 * 3 * 2);
  });

  it('ARP for another tenant\'s address gets no answer and never reaches its owner', async () => {
    const a = port('ia-0');
    // Forget what the matrix taught everyone, so what is learnt now comes from this test.
    await pool(NAMES, 9, (n) => nsIp(n, ['neigh flush dev eth0 nud all']));
    const others = ports.filter((p) => p !== a);
    await pool(others, 8, (other) => env.pingCount(a.ns, other.ip, { count: 1, waitS: 1 }));
    for (const other of others) {
      const n = await neighbour(a.ns, other.ip);
      if (other.tenant === a.tenant) expect(n, other.ns).toMatchObject({ lladdr: other.mac });
      else {
        expect(['FAILED', 'INCOMPLETE', 'NONE'], `${a.ns} learnt ${other.ns}: ${JSON.stringify(n)}`).toContain(n.state);
        // A request that reached the owner would have taught it the asker's address.
        expect((await neighbour(other.ns, a.ip)).state, `${other.ns} heard ${a.ns}`).toBe('NONE');
      }
    }
  });

  it('a broadcast from one tenant reaches its own namespaces and none of the others', async () => {
    const sender = port('ib-1');
    const others = ports.filter((p) => p !== sender);
    const tenantId = (name: string): number => TENANTS.find((t) => t.name === name)!.id;
    const before = new Map(await pool(others, 8, async (p) => [p.ns, await ipReceived(p.ns)] as const));
    const floodBefore = await floodPackets();
    // The limited broadcast: every IPv4 stack that gets it takes it as its own broadcast.
    await run('ping', ['-n', '-q', '-b', '-I', 'eth0', '-c', '5', '-i', '0.2', '-W', '1', '255.255.255.255'], { netns: env.workloads.path(sender.ns), okExitCodes: [1, 2] });
    const after = new Map(await pool(others, 8, async (p) => [p.ns, await ipReceived(p.ns)] as const));
    const floodAfter = await floodPackets();
    for (const p of others) {
      const b = before.get(p.ns)!;
      const x = after.get(p.ns)!;
      if (p.tenant === sender.tenant) expect(x.broadcast - b.broadcast, p.ns).toBeGreaterThanOrEqual(5);
      else {
        expect(x.broadcast - b.broadcast, `${p.ns} got ${sender.tenant}'s broadcast`).toBe(0);
        // Nothing arrived from the wire at all (the stack's own loopback traffic, e.g. ICMP errors, aside).
        expect((x.all - x.lo) - (b.all - b.lo), `${p.ns} received IPv4 from the wire`).toBe(0);
      }
    }
    // The switch flooded it with the sender's tenant flood rule. (Other tenants' flood rules may count their
    // own background ARP or IGMP, so the stacks' counters above are the proof that nothing crossed.)
    const delta = (floodAfter.get(tenantId(sender.tenant)) ?? 0) - (floodBefore.get(tenantId(sender.tenant)) ?? 0);
    expect(delta).toBeGreaterThanOrEqual(5);
  });

  it('a workload that changes its MAC, or takes another tenant\'s IP or a neighbour\'s IP, gets nothing through', async () => {
    const a = port('ic-0');
    const peer = port('ic-1');
    const foreign = port('ia-2');
    const neighbourIp = port('ic-2').ip;
    // Static neighbour entries, so the spoofed IP packets themselves (not just ARP) reach the switch.
    await nsIp(a.ns, [`neigh replace ${peer.ip} lladdr ${peer.mac} dev eth0 nud permanent`]);
    await nsIp(peer.ns, [`neigh replace ${foreign.ip} lladdr ${a.mac} dev eth0 nud permanent`, `neigh replace ${neighbourIp} lladdr ${a.mac} dev eth0 nud permanent`]);
    expect(await env.pingCount(a.ns, peer.ip, { count: 2 })).toBeGreaterThan(0);
    expect(trafficProblems(await trafficMatrix([flow(a, peer)]), () => true)).toEqual([]);
    const attempts = [
      { what: 'changed MAC', setup: ['link set eth0 address 02:00:00:70:99:99'], undo: [`link set eth0 address ${a.mac}`, `neigh replace ${peer.ip} lladdr ${peer.mac} dev eth0 nud permanent`] },
      { what: 'another tenant\'s IP', setup: [`addr add ${foreign.ip}/32 dev eth0`], undo: [`addr del ${foreign.ip}/32 dev eth0`], source: foreign.ip },
      { what: 'a neighbour\'s IP', setup: [`addr add ${neighbourIp}/32 dev eth0`], undo: [`addr del ${neighbourIp}/32 dev eth0`], source: neighbourIp },
    ];
    for (const t of attempts) {
      await nsIp(a.ns, t.setup);
      const rxBefore = await ipReceived(peer.ns);
      // ICMP, TCP and UDP at once. The listener's self-probes run over loopback: not counted below.
      const [got, flows] = await Promise.all([
        env.pingCount(a.ns, peer.ip, { count: 3, waitS: 1, ...(t.source ? { source: t.source } : {}) }),
        trafficMatrix([flow(a, peer, t.source)], { connectTimeoutMs: 1000 }),
      ]);
      const rxAfter = await ipReceived(peer.ns);
      await nsIp(a.ns, t.undo);
      expect(got, t.what).toBe(0);
      expect(trafficProblems(flows, () => false), t.what).toEqual([]);
      expect((rxAfter.all - rxAfter.lo) - (rxBefore.all - rxBefore.lo), `${t.what}: packets reached ${peer.ns}`).toBe(0);
    }
    // The real identity still works.
    expect(await env.pingCount(a.ns, peer.ip, { count: 2 })).toBeGreaterThan(0);
    expect(trafficProblems(await trafficMatrix([flow(a, peer)]), () => true)).toEqual([]);
  });

  it('nsvswitch trace agrees: same tenant allowed, cross tenant dropped', async () => {
    const c = env.config();
    const flags = ['--ovsdb', c.ovsdb, '--ovs-rundir', c.ovsRundir, '--bridge', BRIDGE, '--host-netns', env.sb.hostNetns];
    const trace = (src: string, dst: string) => execa(process.execPath, [BIN, 'trace', src, dst, ...flags], { reject: false });
    const allowed = await trace('ia-0', 'ia-1');
    expect(allowed.stdout, allowed.stderr).toMatch(/ALLOWED/);
    expect(allowed.exitCode).toBe(0);
    const dropped = await trace('ia-0', 'ib-0');
    expect(dropped.stdout, dropped.stderr).toMatch(/DROPPED/);
    expect(dropped.exitCode).toBe(1);
    // And traffic agrees with it: ICMP, TCP and UDP.
    const [allowedPings, droppedPings, flows] = await Promise.all([
      env.pingCount('ia-0', port('ia-1').ip),
      env.pingCount('ia-0', port('ib-0').ip),
      trafficMatrix([flow(port('ia-0'), port('ia-1')), flow(port('ia-0'), port('ib-0'))]),
    ]);
    expect(allowedPings).toBe(1);
    expect(droppedPings).toBe(0);
    expect(trafficProblems(flows, (r) => r.pair.to === env.workloads.path('ia-1'))).toEqual([]);
  });
});
