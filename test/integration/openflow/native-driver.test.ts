import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvsSandbox } from '../../../src/sandbox/ovs-sandbox.js';
import { OWNER_COOKIE, pipelineFlows, type FlowPort, type GatewayFlowPort } from '../../../src/core/pipeline/index.js';
import { FlowApplyError, FlowSync, OfctlDriver, cookieFilterArg, diffFlows, flowKey, parseDumpFlows, type CookieFilter, type Flow } from '../../../src/openflow/index.js';
import { NativeFlowDriver } from '../../../src/openflow/native/native-driver.js';
import { selectFlowDriver } from '../../../src/openflow/native/select-flow-driver.js';
import { addSecureBridge } from './workloads.js';

// Flows may name ports that do not exist; OVS accepts them, so no veths are needed here.
function fakePorts(n: number, tenants: number, offset = 0): FlowPort[] {
  return Array.from({ length: n }, (_, i) => {
    const o = i + 1 + offset;
    const tenantId = 300 + (o % tenants);
    return { portName: `p${o}`, ofport: o, mac: `02:5b:00:00:${(o >> 8).toString(16).padStart(2, '0')}:${(o & 255).toString(16).padStart(2, '0')}`, ip: `10.78.${o >> 8}.${o & 255}`, tenantId, tenant: `t${tenantId}` };
  });
}

function gateways(tenants: readonly number[]): GatewayFlowPort[] {
  return tenants.map((t, i) => ({ portName: `g${t}`, ofport: 5000 + i, mac: `0a:00:00:00:${(t >> 8).toString(16).padStart(2, '0')}:${(t & 255).toString(16).padStart(2, '0')}`, ip: `10.78.250.${i + 1}`, tenantId: t, tenant: `t${t}` }));
}

const sorted = (flows: readonly Flow[]) => [...flows].sort((a, b) => (`${a.cookie}|${flowKey(a)}` < `${b.cookie}|${flowKey(b)}` ? -1 : 1));

describe('NativeFlowDriver on a real ovs-vswitchd, with ovs-ofctl as the oracle', () => {
  let sb: OvsSandbox;
  let native: NativeFlowDriver;
  let ofctl: OfctlDriver;
  const nativeBridge = 'br-nat';
  const ofctlBridge = 'br-ofc';

  /** ovs-ofctl's own dump of a bridge, normalised: no stats, no names, one flow per line, sorted. */
  async function oracleDump(bridge: string, filter?: CookieFilter): Promise<string[]> {
    const out = await sb.ofctl('-O', 'OpenFlow15', '--no-stats', '--no-names', 'dump-flows', sb.mgmt(bridge), ...(filter ? [cookieFilterArg(filter)] : []));
    return out.split('\n').filter((l) => l.includes(' actions=')).map((l) => l.trim()).sort();
  }

  beforeAll(async () => {
    sb = await OvsSandbox.start({ label: 'of-native' });
    await addSecureBridge(sb, nativeBridge);
    await addSecureBridge(sb, ofctlBridge);
    native = new NativeFlowDriver({ ovsRundir: sb.dir, cookie: OWNER_COOKIE });
    ofctl = new OfctlDriver({ ovsRundir: sb.dir, cookie: OWNER_COOKIE, env: sb.env });
  });
  afterAll(async () => {
    native?.close();
    await sb?.stop();
  });

  it('installs the whole pipeline for 300 ports exactly as ovs-ofctl does, flow by flow', async () => {
    const desired = pipelineFlows(fakePorts(300, 10), gateways([300, 303, 307]));
    expect(await new FlowSync(ofctl).sync(ofctlBridge, desired)).toMatchObject({ added: desired.length });
    expect(await new FlowSync(native).sync(nativeBridge, desired)).toMatchObject({ added: desired.length });
    const byOfctl = await oracleDump(ofctlBridge);
    const byNative = await oracleDump(nativeBridge);
    expect(byNative).toHaveLength(desired.length);
    for (let i = 0; i < byOfctl.length; i++) expect(byNative[i], `flow ${i}`).toBe(byOfctl[i]);
  });

  it('dumps our flows by cookie exactly as ovs-ofctl prints them (several multipart parts)', async () => {
    const fromSwitch = parseDumpFlows((await oracleDump(nativeBridge, OWNER_COOKIE)).join('\n'));
    const dumped = await native.dump(nativeBridge);
    expect(dumped.length).toBeGreaterThan(1500); // > 64 KiB of flow stats: more than one reply part
    expect(sorted(dumped)).toEqual(sorted(fromSwitch));
    // A narrower filter (one tenant's flows) selects the same flows ovs-ofctl selects.
    const tenant: CookieFilter = { value: 0x6e730000_00000000n | (303n << 24n), mask: 0xffff_ffffff_000000n };
    const narrow = new NativeFlowDriver({ ovsRundir: sb.dir, cookie: tenant });
    try {
      const mine = await narrow.dump(nativeBridge);
      expect(mine.length).toBeGreaterThan(0);
      expect(sorted(mine)).toEqual(sorted(parseDumpFlows((await oracleDump(nativeBridge, tenant)).join('\n'))));
    } finally {
      narrow.close();
    }
  });

  it('resyncs with zero flow-mods, and a port leaving changes only its tenant, never foreign flows', async () => {
    await sb.ofctl('-O', 'OpenFlow15', 'add-flow', sb.mgmt(nativeBridge), 'table=30,priority=7,cookie=0x1234,actions=drop');
    const before = fakePorts(300, 10);
    const gws = gateways([300, 303, 307]);
    const sync = new FlowSync(native);
    expect(await sync.sync(nativeBridge, pipelineFlows(before, gws))).toMatchObject({ added: 0, modified: 0, deleted: 0 });
    const leaving = before[41]!;
    const after = before.filter((p) => p !== leaving);
    expect(await sync.sync(nativeBridge, pipelineFlows(after, gws))).toMatchObject({ added: 0, modified: 1, deleted: 5 });
    await new FlowSync(ofctl).sync(ofctlBridge, pipelineFlows(after, gws));
    expect(await oracleDump(nativeBridge, OWNER_COOKIE)).toEqual(await oracleDump(ofctlBridge, OWNER_COOKIE));
    expect((await oracleDump(nativeBridge)).filter((l) => l.startsWith('cookie=0x1234,'))).toHaveLength(1);
  });

  it('applies a bundle atomically: a flow the switch rejects leaves the table unchanged', async () => {
    const before = await oracleDump(nativeBridge);
    const extra = pipelineFlows(fakePorts(3, 1, 900)).filter((f) => f.table === 0 && f.priority === 100);
    const backwards: Flow = { table: 20, priority: 9, match: 'ip', actions: 'goto_table:10', cookie: OWNER_COOKIE.value };
    const badPort: Flow = { table: 5, priority: 9, match: 'in_port=1', actions: 'output:70000', cookie: OWNER_COOKIE.value };
    const victim = (await native.dump(nativeBridge)).find((f) => f.table === 20 && f.priority === 100)!;
    for (const bad of [backwards, badPort]) {
      await expect(native.apply(nativeBridge, { add: [...extra, bad], del: [victim] })).rejects.toBeInstanceOf(FlowApplyError);
      expect(await oracleDump(nativeBridge)).toEqual(before);
    }
    // What we cannot encode is refused before the switch sees anything.
    await expect(native.apply(nativeBridge, { add: [...extra, { ...backwards, actions: 'resubmit(,10)' }], del: [victim] })).rejects.toThrow(/Cannot encode/);
    expect(await oracleDump(nativeBridge)).toEqual(before);
  });

  it('reconnects after ovs-vswitchd restarts, and a resync replays every flow', async () => {
    const desired = pipelineFlows(fakePorts(50, 5));
    const sync = new FlowSync(native);
    await sync.sync(nativeBridge, desired);
    await sb.kill('ovs-vswitchd');
    await expect(native.dump(nativeBridge)).rejects.toThrow(/Cannot dump flows of bridge br-nat/);
    await sb.startVswitchd();
    let dumped: Flow[] | undefined;
    for (let i = 0; i < 100 && dumped === undefined; i++) {
      dumped = await native.dump(nativeBridge).catch(async () => {
        await new Promise((r) => setTimeout(r, 100));
        return undefined;
      });
    }
    expect(dumped).toEqual([]);
    expect(await sync.sync(nativeBridge, desired)).toMatchObject({ added: desired.length, deleted: 0 });
    expect(diffFlows(desired, await native.dump(nativeBridge))).toEqual({ add: [], modify: [], del: [], duplicates: [] });
  });

  it('installs a dual-stack pipeline (IPv6 port security, ND guard and answers) exactly as ovs-ofctl does, and dumps it back with zero diff', async () => {
    // Every other tenant dual-stack: IPv6 addresses, ND fields, ERICOXM set_field, IPv6 copy_field, both table shapes.
    const ports = fakePorts(60, 4).map((p) => (p.tenantId % 2 === 0 ? { ...p, ip6: `fd00:78:${p.tenantId.toString(16)}::${p.ofport.toString(16)}` } : p));
    for (const ndResponder of [true, false]) {
      const [nb, ob] = ndResponder ? ['br-nat6', 'br-ofc6'] : ['br-nat6s', 'br-ofc6s'];
      await addSecureBridge(sb, nb);
      await addSecureBridge(sb, ob);
      const desired = pipelineFlows(ports, gateways([301]), { ndResponder });
      expect(desired.some((f) => f.actions.includes('nd_reserved'))).toBe(ndResponder);
      expect(await new FlowSync(ofctl).sync(ob, desired)).toMatchObject({ added: desired.length });
      expect(await new FlowSync(native).sync(nb, desired)).toMatchObject({ added: desired.length });
      const byOfctl = await oracleDump(ob);
      const byNative = await oracleDump(nb);
      expect(byNative).toHaveLength(desired.length);
      for (let i = 0; i < byOfctl.length; i++) expect(byNative[i], `flow ${i}`).toBe(byOfctl[i]);
      // The native dump reads back exactly what was desired: a resync sends nothing.
      expect(diffFlows(desired, await native.dump(nb))).toMatchObject({ add: [], modify: [], del: [] });
      expect(await new FlowSync(native).sync(nb, desired)).toMatchObject({ added: 0, modified: 0, deleted: 0 });
    }
  });

  it('auto mode programs in-process with no ovs-ofctl process, and hands what it cannot encode to ovs-ofctl', async () => {
    const bridge = 'br-auto';
    await addSecureBridge(sb, bridge);
    let spawns = 0;
    const paths: boolean[] = [];
    const selected = selectFlowDriver('auto', { ovsRundir: sb.dir, cookie: OWNER_COOKIE, env: sb.env, onSpawn: () => spawns++, onPath: (n) => paths.push(n) });
    try {
      const sync = new FlowSync(selected.driver);
      const desired = pipelineFlows(fakePorts(20, 2));
      expect(await sync.sync(bridge, desired)).toMatchObject({ added: desired.length });
      expect(await sync.sync(bridge, desired)).toMatchObject({ added: 0, modified: 0, deleted: 0 });
      expect(spawns).toBe(0);
      expect(paths).toEqual([true]);
      // resubmit is not in the native codec: that change goes through one ovs-ofctl bundle instead.
      const odd: Flow = { table: 40, priority: 1, match: '', actions: 'resubmit(,41)', cookie: OWNER_COOKIE.value | 0x99n };
      await selected.driver.apply(bridge, { add: [odd], del: [] });
      expect(spawns).toBe(1);
      expect(paths).toEqual([true, false]);
      expect((await oracleDump(bridge)).filter((l) => l.includes('resubmit(,41)'))).toHaveLength(1);
      // A rejection by the switch is not retried through ovs-ofctl.
      await expect(selected.driver.apply(bridge, { add: [{ table: 20, priority: 9, match: 'ip', actions: 'goto_table:10', cookie: OWNER_COOKIE.value }], del: [] })).rejects.toBeInstanceOf(FlowApplyError);
      expect(spawns).toBe(1);
    } finally {
      selected.close();
    }
  });
});
