import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvsSandbox } from '../../../src/sandbox/ovs-sandbox.js';
import { Category, OWNER_COOKIE, decodeCookie, pipelineFlows } from '../../../src/core/pipeline/index.js';
import { FlowSync, OfctlDriver, flowLoss$, parseDumpFlows } from '../../../src/openflow/index.js';
import { firstValueFrom, timeout } from 'rxjs';
import { describeTraffic, traffic, trafficMatrix, trafficProblems } from '../../helpers/traffic.js';
import { addSecureBridge, inNs, neighbour, nsIp, ping, plugWorkloads, pool, readOfports, ipReceived, type Workload, type WorkloadSpec } from './workloads.js';

// Three tenants in ONE subnet, so isolation is proven at L2 by the pipeline, not by routing.
const TENANTS = [
  { tenant: 'red', tenantId: 11 },
  { tenant: 'green', tenantId: 12 },
  { tenant: 'blue', tenantId: 13 },
];
const SPECS: WorkloadSpec[] = TENANTS.flatMap((t, ti) =>
  [0, 1, 2].map((i) => ({
    ns: `${t.tenant}-${i}`,
    portName: `vof${ti}${i}`,
    mac: `02:00:00:09:0${ti}:0${i}`,
    ip: `10.9.0.${10 * (ti + 1) + i}`,
    ...t,
  })),
);

describe('tenant isolation with real traffic', () => {
  let sb: OvsSandbox;
  let w: Workload[];
  let driver: OfctlDriver;
  let sync: FlowSync;
  const bridge = 'br-iso';
  const byName = (ns: string): Workload => w.find((x) => x.ns === ns)!;
  const pairs = (): [Workload, Workload][] => w.flatMap((a) => w.filter((b) => b !== a).map((b) => [a, b] as [Workload, Workload]));

  /** Every ordered pair pings; returns replies per pair. */
  async function matrix(): Promise<{ a: Workload; b: Workload; got: number }[]> {
    return pool(pairs(), 24, async ([a, b]) => ({ a, b, got: await ping(a, b.ip, { count: 2, waitS: 1 }) }));
  }

  /**
   * Pings and, at the same time, TCP and UDP over every ordered pair; the problems of each
   * (same tenant: every reply and every byte; other tenant: nothing at all).
   */
  async function isolationMatrix(): Promise<{ ping: string[]; traffic: string[]; trafficPairs: number }> {
    const ps = pairs();
    const [pings, flows] = await Promise.all([matrix(), trafficMatrix(ps.map(([a, b]) => ({ from: a.nsPath, to: b.nsPath, ip: b.ip, label: `${a.ns} -> ${b.ns}` })))]);
    const tenantOf = new Map(w.map((x) => [x.nsPath, x.tenantId]));
    return {
      ping: pings.filter(({ a, b, got }) => (a.tenantId === b.tenantId) !== (got > 0)).map(({ a, b, got }) => `${a.ns}->${b.ns}: ${got}`),
      traffic: trafficProblems(flows, (r) => tenantOf.get(r.pair.from) === tenantOf.get(r.pair.to)),
      trafficPairs: flows.filter((r) => r.tcp.ok && r.udp.ok).length,
    };
  }

  async function flowStats(category: number, tenantId?: number) {
    const out = await sb.ofctl('-O', 'OpenFlow15', 'dump-flows', sb.mgmt(bridge), 'cookie=0x6e73000000000000/0xffff000000000000');
    return parseDumpFlows(out)
      .filter((f) => decodeCookie(f.cookie).category === category && (tenantId === undefined || decodeCookie(f.cookie).tenantId === tenantId))
      .map((f) => ({ match: f.match, packets: Number(/n_packets=(\d+)/.exec(out.split('\n').find((l) => l.includes(f.match) && l.includes(f.actions)) ?? '')?.[1] ?? 0) }));
  }

  beforeAll(async () => {
    sb = await OvsSandbox.start({ label: 'of-iso' });
    await addSecureBridge(sb, bridge);
    w = await plugWorkloads(sb, bridge, SPECS);
    driver = new OfctlDriver({ ovsRundir: sb.dir, cookie: OWNER_COOKIE, env: sb.env });
    sync = new FlowSync(driver);
    await sync.sync(bridge, pipelineFlows(w));
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('lets every same-tenant pair ping and carry TCP and UDP intact, and no cross-tenant pair exchange a byte', async () => {
    const m = await isolationMatrix();
    expect(m.ping).toEqual([]);
    expect(m.traffic).toEqual([]);
    expect(m.trafficPairs).toBe(3 * 3 * 2);
  });

  it('answers ARP only for addresses of the same tenant, from the switch, with the right MAC', async () => {
    const a = byName('red-0');
    for (const other of w.filter((x) => x !== a)) {
      const n = await neighbour(a, other.ip);
      if (other.tenantId === a.tenantId) expect(n, other.ns).toMatchObject({ lladdr: other.mac });
      else expect(['FAILED', 'INCOMPLETE', 'NONE']).toContain(n.state);
    }
    const responders = await flowStats(Category.arpResponder, a.tenantId);
    expect(responders.reduce((s, r) => s + r.packets, 0)).toBeGreaterThan(0);
  });

  it('confines a broadcast to the sender\'s tenant', async () => {
    const sender = byName('green-1');
    const before = new Map(await Promise.all(w.map(async (x) => [x.ns, (await ipReceived(x)).broadcast] as const)));
    // ICMP echo to the subnet broadcast: dst MAC ff:ff:ff:ff:ff:ff, flooded by the tenant's flood flow.
    await ping(sender, '10.9.0.255', { count: 5, waitS: 1, broadcast: true });
    const after = new Map(await Promise.all(w.map(async (x) => [x.ns, (await ipReceived(x)).broadcast] as const)));
    for (const x of w.filter((y) => y !== sender)) {
      const delta = after.get(x.ns)! - before.get(x.ns)!;
      if (x.tenantId === sender.tenantId) expect(delta, x.ns).toBeGreaterThanOrEqual(5);
      else expect(delta, x.ns).toBe(0);
    }
  });

  it('drops everything from a workload that takes another MAC, another tenant\'s IP, or a neighbour\'s IP', async () => {
    const a = byName('blue-0');
    const peer = byName('blue-1');
    const foreign = byName('red-2');
    const neighbourIp = byName('blue-2').ip;
    // Static neighbour entries: the spoofed IP packets themselves reach the switch (not just ARP).
    await nsIp(sb, a.nsPath, [`neigh replace ${peer.ip} lladdr ${peer.mac} dev eth0 nud permanent`]);
    await nsIp(sb, peer.nsPath, [`neigh replace ${a.ip} lladdr ${a.mac} dev eth0 nud permanent`, `neigh replace ${foreign.ip} lladdr ${a.mac} dev eth0 nud permanent`, `neigh replace ${neighbourIp} lladdr ${a.mac} dev eth0 nud permanent`]);
    expect(await ping(a, peer.ip)).toBeGreaterThan(0);
    const real = await traffic(a.nsPath, peer.nsPath, peer.ip);
    expect(real.tcp.ok && real.udp.ok, describeTraffic(real)).toBe(true);
    const spoofDrops = async () => (await flowStats(Category.portSpoofDrop, a.tenantId)).find((f) => f.match === `in_port=${a.ofport}`)!.packets;

    const attempts: { what: string; setup: string[]; undo: string[]; source?: string }[] = [
      { what: 'changed MAC', setup: ['link set eth0 address 02:00:00:09:99:99'], undo: [`link set eth0 address ${a.mac}`, `neigh replace ${peer.ip} lladdr ${peer.mac} dev eth0 nud permanent`] },
      { what: 'another tenant\'s IP', setup: [`addr add ${foreign.ip}/32 dev eth0`], undo: [`addr del ${foreign.ip}/32 dev eth0`], source: foreign.ip },
      { what: 'a neighbour\'s IP', setup: [`addr add ${neighbourIp}/32 dev eth0`], undo: [`addr del ${neighbourIp}/32 dev eth0`], source: neighbourIp },
    ];
    for (const t of attempts) {
      const dropsBefore = await spoofDrops();
      await nsIp(sb, a.nsPath, t.setup);
      const rxBefore = (await ipReceived(peer)).wire;
      // ICMP, TCP and UDP at once; the listener's self-probes go over loopback, not counted in `wire`.
      const [got, flows] = await Promise.all([
        ping(a, peer.ip, { count: 3, waitS: 1, ...(t.source ? { source: t.source } : {}) }),
        traffic(a.nsPath, peer.nsPath, peer.ip, { connectTimeoutMs: 1000, ...(t.source ? { source: t.source } : {}) }),
      ]);
      const rxAfter = (await ipReceived(peer)).wire;
      await nsIp(sb, a.nsPath, t.undo);
      expect(got, t.what).toBe(0);
      expect(trafficProblems([flows], () => false), t.what).toEqual([]);
      expect(rxAfter - rxBefore, `${t.what}: packets reached ${peer.ns}`).toBe(0);
      // The switch's port-security rule is what stopped them.
      expect((await spoofDrops()) - dropsBefore, t.what).toBeGreaterThan(0);
    }
    expect(await ping(a, peer.ip)).toBeGreaterThan(0); // the real identity still works
    await nsIp(sb, a.nsPath, [`neigh del ${peer.ip} dev eth0`]);
    await nsIp(sb, peer.nsPath, [`neigh del ${a.ip} dev eth0`, `neigh del ${foreign.ip} dev eth0`, `neigh del ${neighbourIp} dev eth0`]);
  });

  it('drops IPv6 from workloads', async () => {
    const a = byName('red-0');
    const b = byName('red-1');
    await nsIp(sb, a.nsPath, ['addr add fd00:9::1/64 dev eth0 nodad']);
    await nsIp(sb, b.nsPath, ['addr add fd00:9::2/64 dev eth0 nodad']);
    const r = await inNs(a.nsPath, 'ping', ['-6', '-n', '-q', '-c', '2', '-i', '0.2', '-W', '1', 'fd00:9::2']);
    expect(r.stdout).toContain(' 0 received');
    const v6 = await flowStats(Category.ipv6Drop);
    expect(v6[0]!.packets).toBeGreaterThan(0);
  });

  it('a second sync of the same ports sends nothing', async () => {
    expect(await sync.sync(bridge, pipelineFlows(w))).toMatchObject({ added: 0, modified: 0, deleted: 0 });
  });

  it('after ovs-vswitchd is killed and restarted, flowLoss$ fires, a resync restores isolation and connectivity', async () => {
    const lost = firstValueFrom(flowLoss$({ ovsRundir: sb.dir, bridge }).pipe(timeout(15_000)));
    await new Promise((r) => setTimeout(r, 200));
    await sb.kill('ovs-vswitchd');
    await sb.startVswitchd();
    await lost;
    const ofports = await readOfports(sb, w.map((x) => x.portName));
    w = w.map((x) => ({ ...x, ofport: ofports.get(x.portName)! }));
    const r = await sync.sync(bridge, pipelineFlows(w));
    expect(r.added).toBe(pipelineFlows(w).length);
    const m = await isolationMatrix();
    expect(m.ping).toEqual([]);
    expect(m.traffic).toEqual([]);
    expect(m.trafficPairs).toBe(3 * 3 * 2);
  });
});
