import { describe, expect, it } from 'vitest';
import { Reconciler, type Trigger } from '../../../src/agent/reconciler.js';
import { EMPTY_PASS_INPUT, foldPassInput, type AgentEvent, type PassInput } from '../../../src/agent/pass-input.js';
import { OvnSteps, chassisMacs } from '../../../src/agent/ovn/ovn-steps.js';
import { DEFAULT_CONFIG } from '../../../src/config/index.js';
import type { AgentConfig } from '../../../src/config/types.js';
import { FlowSync } from '../../../src/openflow/index.js';
import { Metrics } from '../../../src/observe/metrics.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { ownedPorts } from '../../../src/core/owned-ports.js';
import { lspName } from '../../../src/core/ovn/names.js';
import { REQUESTED_CHASSIS } from '../../../src/core/ovn/logical-records.js';
import { ExternalIds, OWNER_KEY, OWNER_VALUE } from '../../../src/core/ownership.js';
import { macFor } from '../../../src/core/names.js';
import { deps, ns, tenant } from '../core/fixtures.js';
import { namespaceKey } from '../../../src/netns/types.js';
import { CallLog, FakeFlowDriver, FakeOvs, FakePlumbing } from './fake-effects.js';
import { FakeLogicalSide, FakeNb, OvnControllerOvs } from './fake-ovn.js';

const START: Trigger[] = [{ reason: 'start', full: true }];
const NS: Trigger[] = [{ reason: 'namespace' }];
const CONFIG: AgentConfig = { ...DEFAULT_CONFIG, backend: 'ovn', bridge: 'br-int', ovnNbRemotes: 'unix:/nb.sock', ovnSbRemotes: 'unix:/sb.sock', ovnEncapIp: '172.31.0.11' };
const BLUE = tenant('blue', 100, '10.10.0.0/24', ['blue-*'], { gateway: '10.10.0.1' });

/** One host: a reconciler in ovn mode over in-memory effects, sharing a northbound database with other hosts. */
function host(systemId: string, nb = new FakeNb(), now = () => 1_000_000) {
  const log = new CallLog();
  const fakeOvs = new FakeOvs(log, CONFIG.bridge);
  const ovs = new OvnControllerOvs(fakeOvs);
  const plumbing = new FakePlumbing(log);
  const driver = new FakeFlowDriver(log);
  const side = new FakeLogicalSide(systemId, nb, log);
  let input: PassInput = foldPassInput(EMPTY_PASS_INPUT, { kind: 'tenants', set: { tenants: new Map([['blue', BLUE]]), problems: [] } });
  const note = (ev: AgentEvent) => (input = foldPassInput(input, ev));
  const make = () => new Reconciler({
    config: CONFIG, bridgeUuid: () => fakeOvs.bridgeUuid, ovs, plumbing, flowDriver: driver, flowSync: new FlowSync(driver),
    core: deps, logger: silentLogger(), metrics: new Metrics({ defaultMetrics: false }), now,
    ovn: new OvnSteps(side, silentLogger(), new Metrics({ defaultMetrics: false })),
  });
  let r = make();
  const pass = async (t: readonly Trigger[]) => {
    const taken = input;
    note({ kind: 'taken' });
    return r.pass(t, taken);
  };
  const see = (name: string, inode: number): string => {
    const info = ns(name, inode);
    note({ kind: 'namespace', event: { type: 'added', ns: info } });
    return namespaceKey(info);
  };
  const forget = (key: string) => note({ kind: 'namespace', event: { type: 'removed', ns: input.namespaces.get(key)! } });
  const portOf = (key: string) => ownedPorts(ovs.snapshot(), CONFIG.bridge).owned.find((p) => p.key === key);
  const restart = () => {
    r = make();
  };
  return { log, fakeOvs, ovs, plumbing, driver, side, nb, pass, see, forget, portOf, restart, reconciler: () => r };
}

describe('Reconciler.pass with backend ovn (effects faked, no root)', () => {
  it('claims the logical port before plugging, binds the interface by iface-id, sends no flow at all, and marks ready only on ovn-installed', async () => {
    const h = host('host-a');
    const key = h.see('blue-1', 11);
    const s1 = await h.pass(START);

    const port = h.portOf(key)!;
    const lsp = lspName('host-a', port.name);
    expect(h.log.effects()).toEqual(['nb.ensureSwitches', 'nb.claim', 'plumbing.plug', 'ovs.addPorts']);
    expect(h.log.calls[0]!.detail).toEqual(['nsvs-blue']);
    expect(port).toMatchObject({ ifaceId: lsp, installed: false, cidr: '10.10.0.2/24', gateway: undefined });
    const row = [...h.nb.ports.values()].find((p) => p.name === lsp)!;
    expect(row).toMatchObject({ addresses: [`${port.mac} 10.10.0.2`], port_security: [`${port.mac} 10.10.0.2`], options: { [REQUESTED_CHASSIS]: 'host-a' } });
    expect(row.external_ids).toEqual({
      [OWNER_KEY]: OWNER_VALUE, [ExternalIds.tenant]: 'blue', [ExternalIds.chassis]: 'host-a', [ExternalIds.ip]: '10.10.0.2', [ExternalIds.mac]: port.mac, [ExternalIds.nsKey]: key,
    });
    // The MAC is derived with the chassis in it: namespace keys repeat across hosts.
    expect(port.mac).toBe(chassisMacs('host-a')(key, 0));
    expect(port.mac).not.toBe(macFor(key));
    expect(s1).toMatchObject({ plugged: 1, markedReady: 0, flowMods: 0, nbWrites: 2 });
    expect(h.driver.table.size).toBe(0);

    // ovn-controller installs the port: the next pass sets our ready marker, and writes nothing to the northbound.
    h.ovs.install(port.name);
    h.log.clear();
    const writes = h.side.writes;
    const s2 = await h.pass([{ reason: 'ovsdb' }]);
    expect(h.log.effects()).toEqual(['ovs.markInstalled']);
    expect(s2.markedReady).toBe(1);
    expect(h.side.writes).toBe(writes);
    expect(h.log.effects().some((e) => e.startsWith('flows.'))).toBe(false);
  });

  it('never allocates an address or MAC another host\'s port holds', async () => {
    const nb = new FakeNb();
    const a = host('host-a', nb);
    a.see('blue-1', 11);
    await a.pass(START);
    const b = host('host-b', nb);
    // The same namespace path and inode on the other host: a different MAC, and the next free address.
    const kb = b.see('blue-1', 11);
    await b.pass(START);
    expect(b.portOf(kb)).toMatchObject({ cidr: '10.10.0.3/24' });
    expect(b.portOf(kb)!.mac).not.toBe(a.portOf(namespaceKey(ns('blue-1', 11)))!.mac);
  });

  it('leaves a port whose claim lost a race unplugged, retries it soon, and plugs it with another address', async () => {
    let t = 1_000_000;
    const nb = new FakeNb();
    const a = host('host-a', nb, () => t);
    const b = host('host-b', nb, () => t);
    a.see('blue-1', 11);
    await a.pass(START);
    const key = b.see('blue-1', 12);
    await b.pass(START);
    b.forget(key);
    await b.pass(NS);
    // host-a takes 10.10.0.3 between host-b's plan and its claim.
    const k2 = b.see('blue-2', 13);
    b.side.beforeClaim = () => nb.addPort('nsvs-blue', { name: 'nsvs-host-a-raced', type: '', addresses: ['02:00:00:00:00:99 10.10.0.3'], port_security: [], options: {}, external_ids: { [OWNER_KEY]: OWNER_VALUE, [ExternalIds.tenant]: 'blue', [ExternalIds.chassis]: 'host-a', [ExternalIds.ip]: '10.10.0.3', [ExternalIds.mac]: '02:00:00:00:00:99' }, up: undefined });
    b.log.clear();
    const s = await b.pass(NS);
    expect(s).toMatchObject({ plugged: 0, failed: 1 });
    expect(b.log.effects()).toEqual(['nb.claim']);
    const f = b.reconciler().failures.get(k2)!;
    expect(f).toMatchObject({ reason: 'ovn-address-taken', attempts: 1 });
    expect(f.nextAtMs - t).toBeLessThanOrEqual(100);

    t += 100;
    await b.pass([{ reason: 'retry' }]);
    expect(b.portOf(k2)).toMatchObject({ cidr: '10.10.0.4/24' });
  });

  it('removes the local port first, then deletes its logical port; other hosts\' ports stay', async () => {
    const nb = new FakeNb();
    const a = host('host-a', nb);
    const b = host('host-b', nb);
    const ka = a.see('blue-1', 11);
    b.see('blue-1', 11);
    await a.pass(START);
    await b.pass(START);
    const name = a.portOf(ka)!.name;
    a.forget(ka);
    a.log.clear();
    await a.pass(NS);
    expect(a.log.effects()).toEqual(['ovs.removePorts', 'plumbing.unplug', 'nb.release']);
    expect(a.log.calls[2]!.detail).toEqual([lspName('host-a', name)]);
    expect([...nb.ports.values()].map((p) => p.external_ids[ExternalIds.chassis])).toEqual(['host-b']);
  });

  it('adopts everything on restart with zero northbound and zero local writes', async () => {
    const h = host('host-a');
    const k1 = h.see('blue-1', 11);
    const k2 = h.see('blue-2', 12);
    await h.pass(START);
    h.ovs.install(h.portOf(k1)!.name, h.portOf(k2)!.name);
    await h.pass([{ reason: 'ovsdb' }]);
    const nbWrites = h.side.writes;
    const ovsWrites = h.fakeOvs.writes;
    h.restart();
    h.log.clear();
    const s = await h.pass(START);
    expect(h.log.effects()).toEqual([]);
    expect(s).toMatchObject({ plugged: 0, removed: 0, markedReady: 0, flowMods: 0, ovsdbWrites: 0, nbWrites: 0 });
    expect(h.side.writes).toBe(nbWrites);
    expect(h.fakeOvs.writes).toBe(ovsWrites);
  });

  it('claims again the logical port someone deleted under a port in place, without replugging it', async () => {
    const h = host('host-a');
    const key = h.see('blue-1', 11);
    await h.pass(START);
    const lsp = h.portOf(key)!.ifaceId!;
    h.nb.deletePort(lsp);
    h.log.clear();
    await h.pass([{ reason: 'ovsdb' }]);
    expect(h.log.effects()).toEqual(['nb.claim']);
    expect([...h.nb.ports.values()].map((p) => p.name)).toEqual([lsp]);
  });

  it('re-uses a claim made before a crash (logical port in place, no local port yet): same address, no northbound write', async () => {
    const nb = new FakeNb();
    const first = host('host-a', nb);
    const key = first.see('blue-1', 11);
    await first.pass(START);
    const claimed = first.portOf(key)!;
    // A fresh host state (the local port record lost), the same northbound.
    const again = host('host-a', nb);
    again.see('blue-1', 11);
    const writes = again.side.writes;
    await again.pass(START);
    expect(again.portOf(key)).toMatchObject({ cidr: claimed.cidr, mac: claimed.mac, ifaceId: claimed.ifaceId });
    expect(again.side.writes).toBe(writes);
    expect(again.log.effects()).toEqual(['plumbing.plug', 'ovs.addPorts']);
  });
});

describe('Reconciler.pass with backend ovn: a port whose logical port vanished', () => {
  it('is readdressed and replugged when another host took its address meanwhile; kept when nobody did', async () => {
    const nb = new FakeNb();
    const a = host('host-a', nb);
    const key = a.see('blue-1', 11);
    await a.pass(START);
    const before = a.portOf(key)!;
    expect(before.cidr).toBe('10.10.0.2/24');
    // Someone deletes host-a's logical port, and host-b claims 10.10.0.2.
    nb.deletePort(before.ifaceId!);
    nb.addPort('nsvs-blue', { name: 'nsvs-host-b-x', type: '', addresses: ['02:bb:00:00:00:01 10.10.0.2'], port_security: [], options: {}, external_ids: { [OWNER_KEY]: OWNER_VALUE, [ExternalIds.tenant]: 'blue', [ExternalIds.chassis]: 'host-b', [ExternalIds.ip]: '10.10.0.2', [ExternalIds.mac]: '02:bb:00:00:00:01' }, up: undefined });
    a.log.clear();
    await a.pass([{ reason: 'ovsdb' }]);
    expect(a.portOf(key)).toMatchObject({ cidr: '10.10.0.3/24' });
    expect(a.log.effects()).toEqual(['ovs.removePorts', 'plumbing.unplug', 'nb.claim', 'plumbing.plug', 'ovs.addPorts']);
  });
});
