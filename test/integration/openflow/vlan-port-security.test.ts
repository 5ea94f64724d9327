import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvsSandbox } from '../../../src/sandbox/ovs-sandbox.js';
import { Category, OWNER_COOKIE, UNTAGGED, decodeCookie, pipelineFlows } from '../../../src/core/pipeline/index.js';
import { FlowSync, OfctlDriver, diffFlows, expectedByWatchKey, foreignChange, parseDumpFlows, type FlowEvent, type FlowEventsLost } from '../../../src/openflow/index.js';
import { eventually, monitorPids } from '../../helpers/agent-env.js';
import { selectFlowWatch$ } from '../../../src/openflow/native/select-flow-watch.js';
import { addSecureBridge, plugWorkloads, type Workload } from './workloads.js';
import { sendFrames, startCapture, type Received } from './raw-frames.js';

// Two tenants in one subnet; the attacker and its peer share tenant red (id 11), blue has id 12.
const RED = { tenant: 'red', tenantId: 11 };
const BLUE = { tenant: 'blue', tenantId: 12 };
const SPECS = [
  { ns: 'red-0', portName: 'vvl00', mac: '02:00:00:0b:00:00', ip: '10.11.0.10', ...RED },
  { ns: 'red-1', portName: 'vvl01', mac: '02:00:00:0b:00:01', ip: '10.11.0.11', ...RED },
  { ns: 'blue-0', portName: 'vvl10', mac: '02:00:00:0b:01:00', ip: '10.11.0.20', ...BLUE },
];
const COUNT = 10;
const CONTROLS = ['untagged-unicast', 'untagged-broadcast', 'untagged-arp'];
const SNAP = 'snap-ip';

describe('port security drops VLAN-tagged frames and unexpected ethertypes (real OVS, real namespaces)', () => {
  let sb: OvsSandbox;
  let w: Workload[];
  let driver: OfctlDriver;
  const bridge = 'br-vlan';
  const byName = (ns: string): Workload => w.find((x) => x.ns === ns)!;

  async function spoofDrops(port: Workload): Promise<number> {
    const out = await sb.ofctl('-O', 'OpenFlow15', 'dump-flows', sb.mgmt(bridge), `cookie=0x6e73000000000000/0xffff000000000000,in_port=${port.ofport}`);
    const line = out.split('\n').find((l) => {
      const f = l.includes(' actions=') ? parseDumpFlows(l)[0] : undefined;
      return f !== undefined && decodeCookie(f.cookie).category === Category.portSpoofDrop;
    });
    return Number(/n_packets=(\d+)/.exec(line ?? '')?.[1] ?? Number.NaN);
  }

  beforeAll(async () => {
    sb = await OvsSandbox.start({ label: 'of-vlan' });
    await addSecureBridge(sb, bridge);
    w = await plugWorkloads(sb, bridge, SPECS);
    driver = new OfctlDriver({ ovsRundir: sb.dir, cookie: OWNER_COOKIE, env: sb.env });
    await new FlowSync(driver).sync(bridge, pipelineFlows(w));
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('installs allow flows for untagged frames only, which the switch prints back as desired (no churn on resync)', async () => {
    const dumped = await driver.dump(bridge);
    const allow = dumped.filter((f) => [Category.portIp, Category.portArp].includes(decodeCookie(f.cookie).category as 0x10 | 0x11));
    expect(allow).toHaveLength(2 * w.length);
    for (const f of allow) expect(f.match.split(',')).toContain(UNTAGGED);
    expect(diffFlows(pipelineFlows(w), dumped)).toEqual({ add: [], modify: [], del: [], duplicates: [] });
    expect(await new FlowSync(driver).sync(bridge, pipelineFlows(w))).toMatchObject({ added: 0, modified: 0, deleted: 0 });
  });

  it.each(['ofctl', 'native'] as const)('the %s flow monitor reports the allow flows with the same match, so the agent takes them as its own', async (mode) => {
    const seen: (FlowEvent | FlowEventsLost)[] = [];
    const sub = selectFlowWatch$(mode, { ovsRundir: sb.dir, bridge, env: sb.env }).subscribe((e) => seen.push(e));
    try {
      if (mode === 'ofctl') await eventually('the monitor running', async () => (await monitorPids(sb.mgmt(bridge))).length === 1, 10_000, 20);
      // The monitor answers its request before it reports: wait for a first (foreign, cookie 0) change.
      await eventually('the monitor reporting', async () => {
        await sb.ofctl('-O', 'OpenFlow15', 'add-flow', sb.mgmt(bridge), 'table=50,priority=1,actions=drop');
        await new Promise((r) => setTimeout(r, 100));
        return seen.some((e) => e.kind === 'ADDED');
      }, 10_000, 0);
      await sb.ofctl('-O', 'OpenFlow15', 'del-flows', sb.mgmt(bridge), 'table=50');
      const flows = pipelineFlows(w);
      const allow = flows.filter((f) => f.match.includes(UNTAGGED));
      // Remove our allow flows and let a sync put them back: the monitor shows each one ADDED.
      for (const f of allow) await sb.ofctl('-O', 'OpenFlow15', '--strict', 'del-flows', sb.mgmt(bridge), `table=${f.table},priority=${f.priority},${f.match}`);
      expect(await new FlowSync(driver).sync(bridge, flows)).toMatchObject({ added: allow.length, modified: 0, deleted: 0 });
      const added = await eventually('the re-added allow flows reported', async () => {
        const a = seen.filter((e): e is FlowEvent => e.kind === 'ADDED' && e.table === 0 && e.match.includes('vlan_tci'));
        return a.length === allow.length && a;
      }, 5_000, 20);
      const expected = expectedByWatchKey(flows);
      expect(added.map((e) => foreignChange(e, expected, OWNER_COOKIE))).toEqual(allow.map(() => undefined));
    } finally {
      sub.unsubscribe();
    }
  });

  it('delivers none of the tagged (802.1Q, QinQ, priority-tagged) or odd-ethertype frames, while the same frames untagged arrive', async () => {
    const attacker = byName('red-0');
    const peer = byName('red-1');
    const other = byName('blue-0');
    const dropsBefore = await spoofDrops(attacker);
    const captures = [await startCapture(peer.nsPath)];
    let got: Received[];
    let sent: Record<string, number>;
    try {
      captures.push(await startCapture(other.nsPath));
      sent = await sendFrames(attacker.nsPath, {
        srcMac: attacker.mac, srcIp: attacker.ip, dstMac: peer.mac, dstIp: peer.ip, unusedIp: '10.11.0.99',
        vlanIds: [BLUE.tenantId, RED.tenantId, 1, 4095], count: COUNT,
      });
      await new Promise((r) => setTimeout(r, 500));
      got = await Promise.all(captures.map((c) => c.stop()));
    } finally {
      for (const c of captures) c.abort();
    }
    const [atPeer, atOther] = got as [Received, Received];
    const attacks = Object.keys(sent).filter((k) => !CONTROLS.includes(k));
    expect(attacks.length).toBeGreaterThanOrEqual(20);

    // Positive control: the capture works, and valid untagged frames from the workload's own address get through.
    for (const k of CONTROLS) expect(atPeer[k]?.frames ?? 0, `${k} at ${peer.ns}`).toBe(COUNT);
    // Nothing tagged, nothing of another ethertype reaches the same-tenant peer.
    const leaked = attacks.filter((k) => k !== SNAP && (atPeer[k]?.frames ?? 0) > 0).map((k) => `${k}: ${atPeer[k]!.frames} (${atPeer[k]!.tagged} tagged)`);
    expect(leaked).toEqual([]);
    // And nothing at all crosses to the other tenant, not even the SNAP frame below.
    expect(atOther).toEqual({});
    // The per-port port-security drop is what stopped them (IPv6: the IPv6 policy drop).
    const blocked = attacks.filter((k) => k !== SNAP && !k.endsWith('ipv6')).length * COUNT;
    expect((await spoofDrops(attacker)) - dropsBefore).toBeGreaterThanOrEqual(blocked);
    // Known limit, documented in docs/pipeline.md: IPv4 in 802.3 LLC/SNAP from the port's own MAC and
    // address looks like Ethernet II IPv4 to every OpenFlow field, so it reaches the same-tenant peer
    // (whose kernel ignores it). Asserted so a change in OVS's parsing is noticed.
    expect(atPeer[SNAP]?.frames ?? 0).toBe(COUNT);
  });
});
