import { describe, expect, it } from 'vitest';
import { PersistentMap } from '../../../../src/ovsdb/index.js';
import type { LogicalSwitchPortRow, LogicalSwitchRow, NbSnapshot } from '../../../../src/ovsdb/ovn-nb/nb-rows.js';
import { desiredLsp, lspRecord, switchRecord, desiredSwitch, REQUESTED_CHASSIS, REQUESTED_TNL_KEY } from '../../../../src/core/ovn/logical-records.js';
import { claimedAddresses, heldElsewhere, nbView, parseAddresses } from '../../../../src/core/ovn/nb-view.js';
import { planLogical } from '../../../../src/core/ovn/logical-plan.js';
import { hostIdsToWrite, ovnHostIds } from '../../../../src/core/ovn/host-ids.js';
import { lspName, switchName } from '../../../../src/core/ovn/names.js';

const port = (hostIf: string, ip: string, mac: string, tenant = 'blue', tenantId = 100) => ({ key: `/run/netns/${hostIf}#7`, hostIf, tenant, tenantId, ip, mac });

/** A northbound snapshot from switches (with their ports) and loose ports. */
function nb(switches: { row: LogicalSwitchRow; ports: LogicalSwitchPortRow[] }[]): NbSnapshot {
  let ls = PersistentMap.empty<LogicalSwitchRow>();
  let lsp = PersistentMap.empty<LogicalSwitchPortRow>();
  for (const s of switches) {
    ls = ls.set(s.row._uuid, { ...s.row, ports: s.ports.map((p) => p._uuid) });
    for (const p of s.ports) lsp = lsp.set(p._uuid, p);
  }
  return { Logical_Switch: ls, Logical_Switch_Port: lsp };
}

function ourSwitch(tenant: string, id: number, uuid = `ls-${tenant}`): LogicalSwitchRow {
  return { _uuid: uuid, name: switchName(tenant), ports: [], other_config: { [REQUESTED_TNL_KEY]: String(id) }, external_ids: switchRecord(desiredSwitch(tenant, id)) };
}

/** The row nsvswitch writes for a desired port (what the claim inserts). */
function ourLsp(p: ReturnType<typeof port>, chassis: string, uuid: string): LogicalSwitchPortRow {
  const l = desiredLsp(p, chassis);
  return { _uuid: uuid, name: l.name, type: '', addresses: [l.address], port_security: [l.address], options: { [REQUESTED_CHASSIS]: chassis }, external_ids: lspRecord(l), up: true };
}

describe('planLogical (pure)', () => {
  const a1 = port('nsva1', '10.10.0.2', '02:aa:00:00:00:01');
  const a2 = port('nsva2', '10.10.0.3', '02:aa:00:00:00:02');
  const b1 = port('nsvb1', '10.10.0.4', '02:bb:00:00:00:01');

  it('adopts what is in place: no switch to make, nothing to claim or release (a restart writes nothing)', () => {
    const snap = nb([{ row: ourSwitch('blue', 100), ports: [ourLsp(a1, 'host-a', 'u1'), ourLsp(a2, 'host-a', 'u2'), ourLsp(b1, 'host-b', 'u3')] }]);
    const p = planLogical([a1, a2], nbView(snap, 'host-a'), 'host-a');
    expect(p).toEqual({ createSwitches: [], staleTunnelKeys: [], release: [], claim: [], claimed: new Set([a1.key, a2.key]) });
  });

  it('makes a missing tenant switch with the tenant id as tunnel key, and claims new ports', () => {
    const p = planLogical([a1, port('nsvr1', '10.20.0.2', '02:aa:00:00:00:09', 'red', 200)], nbView(nb([{ row: ourSwitch('blue', 100), ports: [] }]), 'host-a'), 'host-a');
    expect(p.createSwitches).toEqual([{ name: 'nsvs-red', tenant: 'red', tenantId: 200 }]);
    expect(p.claim.map((l) => l.name)).toEqual([lspName('host-a', 'nsva1'), lspName('host-a', 'nsvr1')]);
    expect(p.claim[0]).toMatchObject({ switchName: 'nsvs-blue', chassis: 'host-a', address: '02:aa:00:00:00:01 10.10.0.2' });
  });

  it('releases only its own ports: not another chassis\' ports, not ports without the owner marker', () => {
    const foreign = { ...ourLsp(a2, 'host-a', 'u9'), name: 'hand-made', external_ids: {} };
    const snap = nb([{ row: ourSwitch('blue', 100), ports: [ourLsp(a1, 'host-a', 'u1'), ourLsp(b1, 'host-b', 'u3'), foreign] }]);
    const p = planLogical([], nbView(snap, 'host-a'), 'host-a');
    expect(p.release.map((l) => l.name)).toEqual([lspName('host-a', 'nsva1')]);
  });

  it('replaces its own port that no longer matches (a new address), and claims only for the keys asked', () => {
    const snap = nb([{ row: ourSwitch('blue', 100), ports: [ourLsp(a1, 'host-a', 'u1')] }]);
    const moved = { ...a1, ip: '10.10.0.9' };
    const p = planLogical([moved, a2], nbView(snap, 'host-a'), 'host-a', (k) => k === moved.key);
    expect(p.release.map((l) => l.uuid)).toEqual(['u1']);
    expect(p.claim.map((l) => l.ip)).toEqual(['10.10.0.9']);
  });

  it('reports a switch whose tunnel key is not the tenant id (never rewritten: hosts whose manifests differ would fight)', () => {
    const mine = ourSwitch('blue', 100);
    expect(planLogical([{ ...a1, tenantId: 101 }], nbView(nb([{ row: mine, ports: [] }]), 'host-a'), 'host-a').staleTunnelKeys).toEqual([{ name: 'nsvs-blue', has: '100', want: { name: 'nsvs-blue', tenant: 'blue', tenantId: 101 } }]);
    expect(planLogical([a1], nbView(nb([{ row: mine, ports: [] }]), 'host-a'), 'host-a').staleTunnelKeys).toEqual([]);
  });
});

describe('nbView (pure)', () => {
  const a1 = port('nsva1', '10.10.0.2', '02:aa:00:00:00:01');
  const b1 = port('nsvb1', '10.10.0.4', '02:bb:00:00:00:01');
  const manual: LogicalSwitchPortRow = { _uuid: 'm', name: 'manual', type: '', addresses: ['02:cc:00:00:00:01 10.10.0.50', 'dynamic'], port_security: [], options: {}, external_ids: {}, up: undefined };
  const snap = nb([{ row: ourSwitch('blue', 100), ports: [ourLsp(a1, 'host-a', 'u1'), ourLsp(b1, 'host-b', 'u3'), manual] }]);

  it('holds elsewhere the addresses and MACs of other chassis and of hand-made ports on our switches, never our own', () => {
    const v = nbView(snap, 'host-a');
    expect([...v.elsewhereAddresses.get('blue')!].sort()).toEqual(['10.10.0.4', '10.10.0.50']);
    expect([...v.elsewhereMacs].sort()).toEqual(['02:bb:00:00:00:01', '02:cc:00:00:00:01']);
    expect([...v.own.keys()]).toEqual([lspName('host-a', 'nsva1')]);
    expect(heldElsewhere(v).addresses('red').size).toBe(0);
  });

  it('gives this chassis\' claims back as address records by namespace key (a claim made before a crash is reused)', () => {
    expect(claimedAddresses(nbView(snap, 'host-a'), (t) => (t === 'blue' ? 24 : undefined))).toEqual(new Map([[a1.key, { tenant: 'blue', cidr: '10.10.0.2/24', mac: '02:aa:00:00:00:01' }]]));
  });

  it('reads OVN address entries, skipping dynamic/router/unknown', () => {
    expect(parseAddresses(['02:00:00:00:00:01 10.0.0.1 10.0.0.2', 'unknown', 'router', 'dynamic'])).toEqual({ macs: ['02:00:00:00:00:01'], ips: ['10.0.0.1', '10.0.0.2'] });
  });
});

describe('OVN host settings (pure)', () => {
  const wanted = ovnHostIds({ systemId: 'h1', sbRemotes: 'tcp:10.0.0.1:6642,tcp:10.0.0.2:6642', encapType: 'geneve', encapIp: '172.31.0.11', bridge: 'br-int', datapathType: 'netdev' });

  it('are the external_ids ovn-controller reads', () => {
    expect(wanted).toEqual({
      'system-id': 'h1', 'ovn-remote': 'tcp:10.0.0.1:6642,tcp:10.0.0.2:6642', 'ovn-encap-type': 'geneve', 'ovn-encap-ip': '172.31.0.11',
      'ovn-bridge': 'br-int', 'ovn-bridge-datapath-type': 'netdev',
    });
  });

  it('are written only where they differ: nothing on a restart, one key when one changed, others left alone', () => {
    expect(hostIdsToWrite({ ...wanted, 'hostname': 'x' }, wanted)).toEqual({});
    expect(hostIdsToWrite({ ...wanted, 'ovn-encap-ip': '172.31.0.99' }, wanted)).toEqual({ 'ovn-encap-ip': '172.31.0.11' });
  });
});
