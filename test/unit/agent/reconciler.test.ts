import { describe, expect, it } from 'vitest';
import { Reconciler, type Trigger } from '../../../src/agent/reconciler.js';
import { EMPTY_PASS_INPUT, foldPassInput, passOnInput, type AgentEvent, type PassInput } from '../../../src/agent/pass-input.js';
import { DEFAULT_CONFIG } from '../../../src/config/index.js';
import { FlowSync } from '../../../src/openflow/index.js';
import { Metrics } from '../../../src/observe/metrics.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { pipelineFlows } from '../../../src/core/pipeline/index.js';
import { ownedPorts } from '../../../src/core/owned-ports.js';
import { ownedFlowPort } from '../../../src/core/flow-ports.js';
import { OFPORT_REQUEST_MIN } from '../../../src/net/ofport.js';
import { deps, ns, tenant } from '../core/fixtures.js';
import { namespaceKey } from '../../../src/netns/types.js';
import { CallLog, FakeFlowDriver, FakeOvs, FakePlumbing } from './fake-effects.js';

const START: Trigger[] = [{ reason: 'start', full: true }];
const NS: Trigger[] = [{ reason: 'namespace' }];

/** A reconciler fed as the agent feeds it: source events folded into its input, each pass taking it (a failed pass gives its stale keys back). */
class Fed {
  input: PassInput = EMPTY_PASS_INPUT;
  constructor(readonly reconciler: Reconciler) {}
  note(ev: AgentEvent): void {
    this.input = foldPassInput(this.input, ev);
  }
  pass(triggers: readonly Trigger[]) {
    return passOnInput(() => this.input, (ev) => this.note(ev), (input) => this.reconciler.pass(triggers, input));
  }
}

/** A reconciler over in-memory effects, with tenant blue (10.10.0.0/24, blue-*). */
function harness(o: { maxPlugsPerPass?: number } = {}) {
  const log = new CallLog();
  const ovs = new FakeOvs(log, DEFAULT_CONFIG.bridge);
  const plumbing = new FakePlumbing(log);
  const driver = new FakeFlowDriver(log);
  const make = (): Fed => {
    const r = new Fed(new Reconciler({
      config: DEFAULT_CONFIG, bridgeUuid: () => ovs.bridgeUuid, ovs, plumbing, flowDriver: driver, flowSync: new FlowSync(driver),
      core: deps, logger: silentLogger(), metrics: new Metrics({ defaultMetrics: false }), now: () => 1_000_000,
      ...(o.maxPlugsPerPass !== undefined ? { maxPlugsPerPass: o.maxPlugsPerPass } : {}),
    }));
    r.note({ kind: 'tenants', set: { tenants: new Map([['blue', tenant('blue', 100, '10.10.0.0/24', ['blue-*'])]]), problems: [] } });
    return r;
  };
  const see = (r: Fed, name: string, inode: number, firstSeenMs = inode): string => {
    const info = ns(name, inode, firstSeenMs);
    r.note({ kind: 'namespace', event: { type: 'added', ns: info } });
    return namespaceKey(info);
  };
  const forget = (r: Fed, key: string): void => {
    r.note({ kind: 'namespace', event: { type: 'removed', ns: r.input.namespaces.get(key)! } });
  };
  const portOf = (key: string) => ownedPorts(ovs.snapshot(), DEFAULT_CONFIG.bridge).owned.find((p) => p.key === key);
  return { log, ovs, plumbing, driver, make, see, forget, portOf };
}

describe('Reconciler.pass (effects faked, no root)', () => {
  it('applies effects in order: remove rows, delete links, plug, flows with the record, then the ready marker', async () => {
    const h = harness();
    const r = h.make();
    const gone = h.see(r, 'blue-1', 11);
    h.see(r, 'blue-2', 12);
    await r.pass(START);
    const goneIf = h.portOf(gone)!.name;
    h.forget(r, gone);
    const fresh = h.see(r, 'blue-3', 13);
    h.log.clear();

    const s = await r.pass(NS);

    const freshIf = h.portOf(fresh)!.name;
    expect(h.log.calls).toEqual([
      { effect: 'ovs.removePorts', detail: [goneIf] },
      { effect: 'plumbing.unplug', detail: [goneIf] },
      { effect: 'plumbing.plug', detail: [freshIf] },
      // The new port's flows go out with its OVSDB record (early flows), the ready marker only after both.
      { effect: 'flows.apply', detail: expect.any(Array) as unknown as string[] },
      { effect: 'ovs.addPorts', detail: [freshIf] },
      { effect: 'ovs.markInstalled', detail: [freshIf] },
    ]);
    expect(s).toMatchObject({ plugged: 1, removed: 1, markedReady: 1, failed: 0, deferred: 0 });
    expect(h.driver.flowsOfPort(h.portOf(fresh)!.ofport!).length).toBeGreaterThan(0);
  });

  it('keeps a stale key (namespace re-created under the same key) for the next pass when a pass fails', async () => {
    const h = harness();
    const r = h.make();
    const key = h.see(r, 'blue-1', 11);
    await r.pass(START);
    const hostIf = h.portOf(key)!.name;
    // The namespace source saw blue-1 removed and added again: its veth died with the old namespace.
    const info = r.input.namespaces.get(key)!;
    r.note({ kind: 'namespace', event: { type: 'removed', ns: info } });
    r.note({ kind: 'namespace', event: { type: 'added', ns: info } });
    h.ovs.failNextRemove = new Error('OVSDB connection lost');
    await expect(r.pass(NS)).rejects.toThrow('OVSDB connection lost');
    expect([...r.input.stale.keys()]).toEqual([key]);

    h.log.clear();
    await r.pass(NS);
    // Replugged: the old record removed, the link made again, recorded and marked ready (same MAC, address and
    // OpenFlow number as before, so the flows on the switch are already right: no bundle).
    expect(h.log.effects()).toEqual(['ovs.removePorts', 'plumbing.unplug', 'plumbing.plug', 'ovs.addPorts', 'ovs.markInstalled']);
    expect(h.log.calls[2]).toEqual({ effect: 'plumbing.plug', detail: [hostIf] });
    expect(r.input.stale.size).toBe(0);
  });

  it('rolls back a plug whose record failed: its veth deleted, and the next pass drops the flows sent early for it', async () => {
    const h = harness();
    const r = h.make();
    const key = h.see(r, 'blue-1', 11);
    h.ovs.failNextAdd = new Error('transaction failed');
    await expect(r.pass(START)).rejects.toThrow('transaction failed');
    const hostIf = h.log.calls.find((c) => c.effect === 'plumbing.plug')!.detail[0]!;
    // Early flows went out under the requested number before the record failed.
    expect(h.driver.flowsOfPort(OFPORT_REQUEST_MIN).length).toBeGreaterThan(0);
    // The veth is deleted after the failed record (and after the early flows settled), and nothing follows.
    expect(h.log.indexOf('plumbing.unplug')).toBeGreaterThan(h.log.indexOf('ovs.addPorts'));
    expect(h.log.calls.at(-1)).toEqual({ effect: 'plumbing.unplug', detail: [hostIf] });
    expect(h.plumbing.links.has(hostIf)).toBe(false);
    expect(h.portOf(key)).toBeUndefined();

    h.forget(r, key);
    const s = await r.pass(NS);
    expect(h.driver.flowsOfPort(OFPORT_REQUEST_MIN)).toEqual([]);
    expect([...h.driver.table.values()]).toEqual(pipelineFlows([]));
    expect(s.flowMods).toBeGreaterThan(0);
  });

  it('defers a backlog beyond maxPlugsPerPass to the next passes, first seen first, each chunk recorded and ready', async () => {
    const h = harness({ maxPlugsPerPass: 2 });
    const r = h.make();
    // Seen in the reverse order of their names.
    const keys = ['blue-a', 'blue-b', 'blue-c', 'blue-d', 'blue-e'].map((n, i) => h.see(r, n, 20 + i, 100 - i));
    const byFirstSeen = [...keys].reverse();

    const s1 = await r.pass(START);
    expect(s1).toMatchObject({ plugged: 2, deferred: 3, markedReady: 2 });
    expect(keys.filter((k) => h.portOf(k)?.installed)).toEqual(byFirstSeen.slice(0, 2).reverse());
    const s2 = await r.pass([{ reason: 'retry' }]);
    expect(s2).toMatchObject({ plugged: 2, deferred: 1, markedReady: 2 });
    const s3 = await r.pass([{ reason: 'retry' }]);
    expect(s3).toMatchObject({ plugged: 1, deferred: 0, markedReady: 1 });
    expect(keys.every((k) => h.portOf(k)?.installed)).toBe(true);
  });

  it('skips the flow step when ovs-vswitchd granted the numbers the early flows used, and diffs in full when it gave another', async () => {
    const h = harness();
    const r = h.make();
    h.see(r, 'blue-1', 11);
    await r.pass(START);
    const text = (flows: readonly { table: number; priority: number; match: string; actions: string; cookie: bigint }[]) =>
      flows.map((f) => `${f.table}|${f.priority}|${f.match}|${f.actions}|${f.cookie}`).sort();
    const pipeline = () => text(pipelineFlows(ownedPorts(h.ovs.snapshot(), DEFAULT_CONFIG.bridge).owned.map(ownedFlowPort)));

    // Granted as requested: the early flows are the pipeline of the ports as recorded; no recompute, no diff, no bundle.
    const a = h.see(r, 'blue-2', 12);
    const skipped = r.reconciler.flowSyncsSkipped;
    h.log.clear();
    await r.pass(NS);
    expect(h.portOf(a)!.ofport).toBe(OFPORT_REQUEST_MIN + 1);
    expect(r.reconciler.flowSyncsSkipped).toBe(skipped + 1);
    expect(h.log.effects()).toEqual(['plumbing.plug', 'flows.apply', 'ovs.addPorts', 'ovs.markInstalled']);
    expect(text([...h.driver.table.values()])).toEqual(pipeline());

    // ovs-vswitchd gave another number: the flow step computes and diffs in full, and moves the port's flows to it.
    const b = h.see(r, 'blue-3', 13);
    h.ovs.grantNext = 7;
    h.log.clear();
    await r.pass(NS);
    expect(h.portOf(b)!.ofport).toBe(7);
    expect(r.reconciler.flowSyncsSkipped).toBe(skipped + 1);
    expect(h.log.effects()).toEqual(['plumbing.plug', 'flows.apply', 'ovs.addPorts', 'flows.apply', 'ovs.markInstalled']);
    expect(h.driver.flowsOfPort(OFPORT_REQUEST_MIN + 2)).toEqual([]);
    expect(h.driver.flowsOfPort(7).length).toBeGreaterThan(0);
    expect(text([...h.driver.table.values()])).toEqual(pipeline());
    expect(h.portOf(b)!.installed).toBe(true);

    // A pass with nothing new skips the flow step; after the flow state is forgotten it dumps and syncs again.
    await r.pass([{ reason: 'ovsdb' }]);
    expect(r.reconciler.flowSyncsSkipped).toBe(skipped + 2);
    r.reconciler.invalidateFlows();
    h.log.clear();
    await r.pass([{ reason: 'ovsdb' }]);
    expect(r.reconciler.flowSyncsSkipped).toBe(skipped + 2);
    expect(h.log.effects()).toEqual(['flows.dump']);
  });

  it('asks ofports from the high range, and a restart adopts ports numbered in the old low range with zero writes', async () => {
    const h = harness();
    const before = h.make();
    const a = h.see(before, 'blue-1', 11);
    const b = h.see(before, 'blue-2', 12);
    await before.pass(START);
    expect([h.portOf(a)!.ofport, h.portOf(b)!.ofport]).toEqual([OFPORT_REQUEST_MIN, OFPORT_REQUEST_MIN + 1]);

    // An agent from before the high range numbered them 1 and 2, and its flows say so.
    h.ovs.renumber(h.portOf(a)!.name, 1);
    h.ovs.renumber(h.portOf(b)!.name, 2);
    h.driver.table.clear();
    const owned = ownedPorts(h.ovs.snapshot(), DEFAULT_CONFIG.bridge).owned;
    await h.driver.apply(DEFAULT_CONFIG.bridge, { add: pipelineFlows(owned.map(ownedFlowPort)), del: [] });

    const writes = h.ovs.writes;
    const mods = h.driver.flowMods;
    const after = h.make();
    h.see(after, 'blue-1', 11);
    h.see(after, 'blue-2', 12);
    const s = await after.pass(START);
    expect(s).toMatchObject({ plugged: 0, removed: 0, markedReady: 0, flowMods: 0, ovsdbWrites: 0 });
    expect([h.ovs.writes, h.driver.flowMods]).toEqual([writes, mods]);
    expect([h.portOf(a)!.ofport, h.portOf(b)!.ofport]).toEqual([1, 2]);

    // A newcomer still gets a number from the high range.
    const c = h.see(after, 'blue-3', 13);
    await after.pass(NS);
    expect(h.portOf(c)!.ofport).toBe(OFPORT_REQUEST_MIN);
  });
});
