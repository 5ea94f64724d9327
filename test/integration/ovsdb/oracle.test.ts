import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvsSandbox } from '../../../src/sandbox/ovs-sandbox.js';
import {
  OvsdbClient, Txn, VswitchReplica, byUuid, cond, mutation, ovsMap, ovsSet, uuid, type NamedUuid, type Operation, type VswitchSnapshot,
} from '../../../src/ovsdb/index.js';
import { oracleDump } from './dump-oracle.js';

const NOTE = 'é 日本 😀 {x} [y]';

/** One step of the scenario: the ovs-vsctl way, and our way (built from the replica's current view). */
interface Step {
  readonly name: string;
  readonly vsctl: readonly string[];
  readonly ours: (s: VswitchSnapshot) => readonly Operation[];
}

function portUuid(s: VswitchSnapshot, name: string): string {
  const p = [...s.ports.values()].find((x) => x.name === name);
  if (!p) throw new Error(`port ${name} not in replica`);
  return p._uuid;
}
function bridgeUuid(s: VswitchSnapshot, name: string): string {
  const b = [...s.bridges.values()].find((x) => x.name === name);
  if (!b) throw new Error(`bridge ${name} not in replica`);
  return b._uuid;
}

type Extra = Record<string, ReturnType<typeof ovsSet> | string | ReturnType<typeof ovsMap>>;

/** What `ovs-vsctl add-br` writes: the bridge, its internal port and interface, and the root's bridges set. */
function addBridge(s: VswitchSnapshot, t: Txn, name: string, extra: Extra, extraPorts: readonly NamedUuid[] = []): void {
  const i = t.insert('Interface', { name, type: 'internal' });
  const p = t.insert('Port', { name, interfaces: i });
  const b = t.insert('Bridge', { name, ports: ovsSet([p, ...extraPorts]), ...extra });
  t.mutate('Open_vSwitch', [byUuid(s.openVSwitch!._uuid)], [mutation('bridges', 'insert', ovsSet([b]))]);
}

function addPort(s: VswitchSnapshot, bridge: string, name: string, n: number): Operation[] {
  const t = new Txn();
  const i = t.insert('Interface', { name, type: 'internal', ofport_request: 10 + n, external_ids: ovsMap({ ip: `10.0.0.${n}` }) });
  const p = t.insert('Port', { name, interfaces: i, external_ids: ovsMap({ tenant: 'blue' }) });
  t.mutate('Bridge', [byUuid(bridgeUuid(s, bridge))], [mutation('ports', 'insert', ovsSet([p]))]);
  return t.ops();
}

const STEPS: readonly Step[] = [
  {
    name: 'add a netdev bridge with fail_mode, protocols, external_ids, other_config',
    vsctl: ['add-br', 'br-a', '--', 'set', 'Bridge', 'br-a', 'datapath_type=netdev', 'fail_mode=secure', 'protocols=OpenFlow13,OpenFlow15',
      'external_ids:nsvswitch-owner=nsvswitch', 'other_config:hwaddr="02:00:00:00:00:01"'],
    ours: (s) => {
      const t = new Txn();
      addBridge(s, t, 'br-a', {
        datapath_type: 'netdev', fail_mode: 'secure', protocols: ovsSet(['OpenFlow13', 'OpenFlow15']),
        external_ids: ovsMap({ 'nsvswitch-owner': 'nsvswitch' }), other_config: ovsMap({ hwaddr: '02:00:00:00:00:01' }),
      });
      return t.ops();
    },
  },
  ...[0, 1, 2, 3].map((n): Step => ({
    name: `add port p${n} with ofport_request and external_ids`,
    vsctl: ['add-port', 'br-a', `p${n}`, '--', 'set', 'Interface', `p${n}`, 'type=internal', `ofport_request=${10 + n}`, `external_ids:ip=10.0.0.${n}`,
      '--', 'set', 'Port', `p${n}`, 'external_ids:tenant=blue'],
    ours: (s) => addPort(s, 'br-a', `p${n}`, n),
  })),
  {
    name: 'delete port p2 (its Port and Interface rows are garbage-collected)',
    vsctl: ['del-port', 'br-a', 'p2'],
    ours: (s) => [{ op: 'mutate', table: 'Bridge', where: [byUuid(bridgeUuid(s, 'br-a'))], mutations: [mutation('ports', 'delete', ovsSet([uuid(portUuid(s, 'p2'))]))] }],
  },
  {
    name: 'replace one map key, remove another, set a multibyte value',
    vsctl: ['set', 'Port', 'p1', 'external_ids:tenant=red', '--', 'remove', 'Port', 'p3', 'external_ids', 'tenant', '--',
      'set', 'Bridge', 'br-a', `external_ids:note="${NOTE}"`],
    ours: () => [
      { op: 'mutate', table: 'Port', where: [cond('name', '==', 'p1')], mutations: [mutation('external_ids', 'delete', ovsSet(['tenant'])), mutation('external_ids', 'insert', ovsMap({ tenant: 'red' }))] },
      { op: 'mutate', table: 'Port', where: [cond('name', '==', 'p3')], mutations: [mutation('external_ids', 'delete', ovsSet(['tenant']))] },
      { op: 'mutate', table: 'Bridge', where: [cond('name', '==', 'br-a')], mutations: [mutation('external_ids', 'insert', ovsMap({ note: NOTE }))] },
    ],
  },
  {
    name: 'clear fail_mode, change protocols, set the system-id',
    vsctl: ['clear', 'Bridge', 'br-a', 'fail_mode', '--', 'set', 'Bridge', 'br-a', 'protocols=OpenFlow15', '--',
      'set', 'Open_vSwitch', '.', 'external_ids:system-id=host-1'],
    ours: (s) => [
      { op: 'update', table: 'Bridge', where: [cond('name', '==', 'br-a')], row: { fail_mode: ovsSet([]), protocols: 'OpenFlow15' } },
      { op: 'mutate', table: 'Open_vSwitch', where: [byUuid(s.openVSwitch!._uuid)], mutations: [mutation('external_ids', 'insert', ovsMap({ 'system-id': 'host-1' }))] },
    ],
  },
  {
    name: 'add a second bridge and a port on it',
    vsctl: ['add-br', 'br-b', '--', 'add-port', 'br-b', 'q0', '--', 'set', 'Interface', 'q0', 'type=internal', 'ofport_request=10',
      'external_ids:ip=10.0.0.0', '--', 'set', 'Port', 'q0', 'external_ids:tenant=blue'],
    ours: (s) => {
      // One transaction: the port is referenced from the new bridge by named-uuid.
      const t = new Txn();
      const i = t.insert('Interface', { name: 'q0', type: 'internal', ofport_request: 10, external_ids: ovsMap({ ip: '10.0.0.0' }) });
      const p = t.insert('Port', { name: 'q0', interfaces: i, external_ids: ovsMap({ tenant: 'blue' }) });
      addBridge(s, t, 'br-b', {}, [p]);
      return t.ops();
    },
  },
];

describe('OvsdbClient transactions vs ovs-vsctl (the real tool is the oracle)', () => {
  let ours: OvsSandbox | undefined;
  let theirs: OvsSandbox | undefined;
  let client: OvsdbClient | undefined;
  let replica: VswitchReplica | undefined;

  beforeAll(async () => {
    [ours, theirs] = await Promise.all([OvsSandbox.start({ label: 'ovsdb-ours', vswitchd: false }), OvsSandbox.start({ label: 'ovsdb-vsctl', vswitchd: false })]);
    client = await OvsdbClient.connect(ours.dbEndpoint);
    replica = await VswitchReplica.start(client);
  });
  afterAll(async () => {
    await replica?.stop();
    await client?.close();
    await Promise.all([ours?.stop(), theirs?.stop()]);
  });

  it('every step leaves both databases identical (ovsdb-client dump, uuids relabelled by name)', async () => {
    for (const step of STEPS) {
      await theirs!.vsctl('--no-wait', ...step.vsctl);
      await client!.transact('Open_vSwitch', step.ours(replica!.snapshot()));
      expect(await oracleDump(ours!), step.name).toEqual(await oracleDump(theirs!));
    }
    const final = await oracleDump(ours!);
    expect(Object.keys(final.Port!).sort()).toEqual(['Port:br-a', 'Port:br-b', 'Port:p0', 'Port:p1', 'Port:p3', 'Port:q0']);
  });

  it('our replica matches what ovs-vsctl lists, defaults included', async () => {
    const s = replica!.snapshot();
    const field = async (table: string, record: string, column: string): Promise<string> => (await theirs!.vsctl('get', table, record, column)).trim();
    const brA = [...s.bridges.values()].find((b) => b.name === 'br-a')!;
    expect(brA.fail_mode).toBeUndefined();
    expect(await field('Bridge', 'br-a', 'fail_mode')).toBe('[]');
    expect(brA.protocols).toEqual(['OpenFlow15']);
    expect(brA.external_ids).toEqual({ 'nsvswitch-owner': 'nsvswitch', note: NOTE });
    expect(brA.datapath_type).toBe(await field('Bridge', 'br-a', 'datapath_type'));
    const names = (await theirs!.vsctl('list-ports', 'br-a')).trim().split('\n').sort();
    expect(brA.ports.map((id) => s.ports.get(id)!.name).filter((n) => n !== 'br-a').sort()).toEqual(names);
    const p1 = [...s.interfaces.values()].find((i) => i.name === 'p1')!;
    expect(p1).toMatchObject({ type: 'internal', ofport_request: 11, ofport: undefined, error: undefined, external_ids: { ip: '10.0.0.1' } });
    expect(s.openVSwitch!.external_ids).toEqual({ 'system-id': 'host-1' });
    expect(s.openVSwitch!.bridges.length).toBe(2);
  });
});
