import { Subject, Subscription, filter, map, merge, scan, tap } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { Reconciler } from '../../../src/agent/reconciler.js';
import { PassLoop } from '../../../src/agent/pass-loop.js';
import type { BridgeKeeper } from '../../../src/agent/bridge-keeper.js';
import { EMPTY_PASS_INPUT, FOLDED_START, foldEvent, type AgentEvent, type PassInput, type Trigger } from '../../../src/agent/pass-input.js';
import { OVSDB_CHANGE_AUDIT_MS, OwnedStateGate, ovsdbTriggers$ } from '../../../src/agent/sources/ovsdb-triggers.js';
import { DEFAULT_CONFIG } from '../../../src/config/index.js';
import { FlowSync } from '../../../src/openflow/index.js';
import { Metrics } from '../../../src/observe/metrics.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { ownedPorts } from '../../../src/core/owned-ports.js';
import { deps, ns, tenant } from '../core/fixtures.js';
import { namespaceKey } from '../../../src/netns/types.js';
import { CallLog, FakeFlowDriver, FakeOvs, FakePlumbing } from './fake-effects.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The agent's wiring in small: namespace events and the OVSDB trigger folded into passes run by a PassLoop,
 * over in-memory effects whose ready marker takes long enough for the OVSDB audit to fire while the pass runs.
 */
function wired() {
  const log = new CallLog();
  const ovs = new FakeOvs(log, DEFAULT_CONFIG.bridge);
  const driver = new FakeFlowDriver(log);
  const logger = silentLogger();
  const metrics = new Metrics({ defaultMetrics: false });
  const reconciler = new Reconciler({
    config: DEFAULT_CONFIG, bridgeUuid: () => ovs.bridgeUuid, ovs, plumbing: new FakePlumbing(log), flowDriver: driver, flowSync: new FlowSync(driver),
    core: deps, logger, metrics,
  });
  /** Runs while the ready marker is being written (after the record's change was seen): someone else's edit, say. */
  let duringReady: (() => void) | undefined;
  const markInstalled = ovs.markInstalled.bind(ovs);
  ovs.markInstalled = async (uuids) => {
    await sleep(OVSDB_CHANGE_AUDIT_MS * 3);
    duringReady?.();
    duringReady = undefined;
    await markInstalled(uuids);
  };
  const passes: (readonly Trigger[])[] = [];
  const pass = reconciler.pass.bind(reconciler);
  reconciler.pass = (t, i) => {
    passes.push(t);
    return pass(t, i);
  };
  const events$ = new Subject<AgentEvent>();
  let input: PassInput = EMPTY_PASS_INPUT;
  const gate = new OwnedStateGate(DEFAULT_CONFIG.bridge);
  const loop = new PassLoop({
    reconciler, bridge: { heal: async () => false } as unknown as BridgeKeeper, bridgeName: DEFAULT_CONFIG.bridge, gate, snapshot: () => ovs.snapshot(),
    current: () => input, dispatch: (ev) => events$.next(ev), logger, metrics,
  });
  const triggers$ = merge(events$, ovsdbTriggers$(ovs.changes$, gate)).pipe(
    scan(foldEvent, FOLDED_START),
    tap((f) => (input = f.input)),
    map((f) => f.trigger),
    filter((t): t is Trigger => t !== undefined),
  );
  const sub = new Subscription();
  sub.add(loop.run(triggers$).subscribe());
  events$.next({ kind: 'tenants', set: { tenants: new Map([['blue', tenant('blue', 100, '10.10.0.0/24', ['blue-*'])]]), problems: [] } });
  const see = (name: string, inode: number): string => {
    const info = ns(name, inode);
    events$.next({ kind: 'namespace', event: { type: 'added', ns: info } });
    return namespaceKey(info);
  };
  /** Waits until no pass has started for a while (longer than a pass here, and the audit window). */
  const idle = async (): Promise<void> => {
    let n = -1;
    while (n !== passes.length) {
      n = passes.length;
      await sleep(OVSDB_CHANGE_AUDIT_MS * 10);
    }
  };
  const portOf = (key: string) => ownedPorts(ovs.snapshot(), DEFAULT_CONFIG.bridge).owned.find((p) => p.key === key);
  return { ovs, driver, reconciler, loop, passes, see, idle, portOf, sub, setDuringReady: (f: () => void) => (duringReady = f) };
}

describe('PassLoop with the OVSDB trigger (follow-up passes)', () => {
  const subs: Subscription[] = [];
  afterEach(() => {
    for (const s of subs.splice(0)) s.unsubscribe();
  });

  it('runs no follow-up pass for its own writes seen while the pass ran, once the pass left the state settled', async () => {
    const w = wired();
    subs.push(w.sub);
    await w.loop.start();
    await w.idle();
    const before = w.passes.length;
    const key = w.see('blue-1', 11);
    await w.idle();
    expect(w.portOf(key)?.installed).toBe(true);
    // One pass for the namespace; the record, the ofport and the ready marker it wrote asked for none.
    expect(w.passes.slice(before)).toEqual([[{ reason: 'namespace' }]]);
    expect(w.reconciler.settledOn).toBe(w.ovs.snapshot());
  });

  it('still runs a pass for someone else\'s change seen while a pass ran, and repairs it', async () => {
    const w = wired();
    subs.push(w.sub);
    const first = w.see('blue-1', 11);
    await w.loop.start();
    await w.idle();
    const before = w.passes.length;
    const name = w.portOf(first)!.name;
    // While the next namespace's pass writes its ready marker, someone renumbers the first port (ovs-vswitchd after an
    // ofport_request edit by hand): its flows must follow.
    w.setDuringReady(() => w.ovs.renumber(name, 9));
    const second = w.see('blue-2', 12);
    await w.idle();
    expect(w.portOf(second)?.installed).toBe(true);
    expect(w.passes.slice(before)).toEqual([[{ reason: 'namespace' }], [{ reason: 'ovsdb' }]]);
    expect(w.driver.flowsOfPort(9).length).toBeGreaterThan(0);
    expect(w.driver.flowsOfPort(w.portOf(second)!.ofport!).length).toBeGreaterThan(0);
  });
});
