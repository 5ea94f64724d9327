import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstValueFrom, take, timeout, toArray } from 'rxjs';
import { OvsSandbox } from '../../../src/sandbox/ovs-sandbox.js';
import { Metrics } from '../../../src/observe/metrics.js';
import { OWNER_COOKIE, pipelineFlows, type FlowPort } from '../../../src/core/pipeline/index.js';
import { FlowMetrics } from '../../../src/agent/flow-metrics.js';
import { FlowApplyError, FlowDumpError, FlowSync, OfctlDriver, diffFlows, flowLoss$, parseDumpFlows } from '../../../src/openflow/index.js';
import { addSecureBridge } from './workloads.js';

// Flows may name ports that do not exist (yet); OVS accepts them, so no veths are needed here.
function fakePorts(n: number, tenants: number, offset = 0): FlowPort[] {
  return Array.from({ length: n }, (_, i) => {
    const o = i + 1 + offset;
    const tenantId = 200 + (o % tenants);
    return { portName: `p${o}`, ofport: o, mac: `02:5a:00:00:${(o >> 8).toString(16).padStart(2, '0')}:${(o & 255).toString(16).padStart(2, '0')}`, ip: `10.77.${o >> 8}.${o & 255}`, tenantId, tenant: `t${tenantId}` };
  });
}

async function counter(metrics: Metrics, op: string): Promise<number> {
  const m = await metrics.flowMods.get();
  return m.values.find((v) => v.labels.op === op)?.value ?? 0;
}

describe('FlowSync on a real ovs-vswitchd', () => {
  let sb: OvsSandbox;
  let spawns = 0;
  let driver: OfctlDriver;
  const bridge = 'br-fs';
  beforeAll(async () => {
    sb = await OvsSandbox.start({ label: 'of-sync' });
    await addSecureBridge(sb, bridge);
    driver = new OfctlDriver({ ovsRundir: sb.dir, cookie: OWNER_COOKIE, env: sb.env, onSpawn: () => spawns++ });
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('installs the pipeline, and what the switch prints back diffs to nothing', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const sync = new FlowSync(driver, { observer: new FlowMetrics(metrics) });
    const desired = pipelineFlows(fakePorts(40, 4));
    spawns = 0;
    expect(await sync.sync(bridge, desired)).toEqual({ added: desired.length, modified: 0, deleted: 0, total: desired.length });
    expect(spawns).toBe(2); // one dump, one bundle
    const dumped = await driver.dump(bridge);
    expect(dumped).toHaveLength(desired.length);
    expect(diffFlows(desired, dumped)).toEqual({ add: [], modify: [], del: [], duplicates: [] });
    expect(await counter(metrics, 'add')).toBe(desired.length);
    const gauge = await metrics.flows.get();
    expect(gauge.values.reduce((s, v) => s + v.value, 0)).toBe(desired.length);
  });

  it('sends zero flow-mods (and spawns only the dump) when nothing changed', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const sync = new FlowSync(driver, { observer: new FlowMetrics(metrics) });
    spawns = 0;
    expect(await sync.sync(bridge, pipelineFlows(fakePorts(40, 4)))).toMatchObject({ added: 0, modified: 0, deleted: 0 });
    expect(spawns).toBe(1);
    for (const op of ['add', 'modify', 'delete']) expect(await counter(metrics, op)).toBe(0);
  });

  it('changes only the flows of the tenant whose port left, and never touches foreign flows', async () => {
    await sb.ofctl('-O', 'OpenFlow15', 'add-flow', sb.mgmt(bridge), 'table=30,priority=7,cookie=0x1234,actions=drop');
    const before = fakePorts(40, 4);
    const leaving = before[5]!; // tenant 206 % 4 -> 202
    const after = before.filter((p) => p !== leaving);
    const sync = new FlowSync(driver);
    const r = await sync.sync(bridge, pipelineFlows(after));
    expect(r).toMatchObject({ added: 0, modified: 1, deleted: 5 });
    const all = parseDumpFlows(await sb.ofctl('-O', 'OpenFlow15', '--no-stats', 'dump-flows', sb.mgmt(bridge)));
    expect(all.filter((f) => f.cookie === 0x1234n)).toHaveLength(1);
    expect(all.some((f) => f.match.includes(`in_port=${leaving.ofport},`))).toBe(false);
    // Removing everything of ours leaves the foreign flow alone.
    expect(await sync.sync(bridge, [])).toMatchObject({ deleted: pipelineFlows(after).length });
    const left = parseDumpFlows(await sb.ofctl('-O', 'OpenFlow15', '--no-stats', 'dump-flows', sb.mgmt(bridge)));
    expect(left.map((f) => f.cookie)).toEqual([0x1234n]);
  });

  it('applies a bundle atomically: one flow the switch rejects means none is applied', async () => {
    const good = pipelineFlows(fakePorts(3, 1));
    const bad = { ...good[0]!, table: 5, match: 'in_port=1', actions: 'output:70000' };
    await expect(driver.apply(bridge, { add: [...good, bad], del: [] })).rejects.toBeInstanceOf(FlowApplyError);
    expect(await driver.dump(bridge)).toEqual([]);
  });

  it('serialises concurrent syncs of one bridge, so the last call wins', async () => {
    const sync = new FlowSync(driver);
    const a = pipelineFlows(fakePorts(10, 2));
    const b = pipelineFlows(fakePorts(12, 3));
    const [ra, rb] = await Promise.all([sync.sync(bridge, a), sync.sync(bridge, b)]);
    expect(ra.total).toBe(a.length);
    expect(rb.total).toBe(b.length);
    expect(diffFlows(b, await driver.dump(bridge)).add).toEqual([]);
    expect(diffFlows(b, await driver.dump(bridge)).del).toEqual([]);
  });

  it('fails with a typed error naming the bridge when it does not exist', async () => {
    await expect(driver.dump('br-missing')).rejects.toThrow(FlowDumpError);
    await expect(driver.dump('br-missing')).rejects.toThrow(/br-missing/);
  });

  it('flowLoss$ stays quiet while the switch is up, emits when a restarted ovs-vswitchd is back, and a resync restores every flow', async () => {
    const desired = pipelineFlows(fakePorts(20, 2));
    const sync = new FlowSync(driver);
    await sync.sync(bridge, desired);
    const events: number[] = [];
    const sub = flowLoss$({ ovsRundir: sb.dir, bridge }).subscribe(() => events.push(Date.now()));
    try {
      await new Promise((r) => setTimeout(r, 400));
      expect(events).toEqual([]);
      await sb.kill('ovs-vswitchd');
      await new Promise((r) => setTimeout(r, 300));
      expect(events).toEqual([]);
      const restartedAt = Date.now();
      await sb.startVswitchd();
      await waitFor(() => events.length > 0, 5_000);
      expect(events).toHaveLength(1);
      expect(events[0]! - restartedAt).toBeLessThan(2_000);
      expect(await driver.dump(bridge)).toEqual([]); // flows are gone with the old process
      expect(await sync.sync(bridge, desired)).toMatchObject({ added: desired.length, deleted: 0 });
      expect(diffFlows(desired, await driver.dump(bridge)).add).toEqual([]);
    } finally {
      sub.unsubscribe();
    }
  });

  it('flowLoss$ emits once per restart, and once when the switch comes up after the subscriber started without it', async () => {
    await sb.kill('ovs-vswitchd');
    const got = firstValueFrom(flowLoss$({ ovsRundir: sb.dir, bridge }).pipe(take(2), toArray(), timeout(20_000)));
    await new Promise((r) => setTimeout(r, 300));
    await sb.startVswitchd();
    await new Promise((r) => setTimeout(r, 1_500));
    await sb.kill('ovs-vswitchd');
    await sb.startVswitchd();
    expect(await got).toHaveLength(2);
  });
});

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
