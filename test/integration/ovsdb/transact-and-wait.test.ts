import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvsSandbox } from '../../../src/sandbox/ovs-sandbox.js';
import {
  OvsdbClient, OvsdbCurCfgTimeoutError, Txn, VswitchReplica, byUuid, mutation, ovsSet, transactAndWait,
} from '../../../src/ovsdb/index.js';

/** Ops that add a netdev bridge with one extra internal port, the way add-br + add-port would. */
function addBridgeOps(replica: VswitchReplica, bridge: string, port: string): Txn {
  const t = new Txn();
  const bi = t.insert('Interface', { name: bridge, type: 'internal' });
  const bp = t.insert('Port', { name: bridge, interfaces: bi });
  const pi = t.insert('Interface', { name: port, type: 'internal' });
  const pp = t.insert('Port', { name: port, interfaces: pi });
  const b = t.insert('Bridge', { name: bridge, datapath_type: 'netdev', ports: ovsSet([bp, pp]) });
  t.mutate('Open_vSwitch', [byUuid(replica.snapshot().openVSwitch!._uuid)], [mutation('bridges', 'insert', ovsSet([b]))]);
  return t;
}

describe('transactAndWait with a real ovs-vswitchd', () => {
  let sb: OvsSandbox | undefined;
  let client: OvsdbClient | undefined;
  let replica: VswitchReplica | undefined;
  beforeAll(async () => {
    sb = await OvsSandbox.start({ label: 'ovsdb-vswitchd' });
    client = await OvsdbClient.connect(sb.dbEndpoint);
    replica = await VswitchReplica.start(client);
  });
  afterAll(async () => {
    await replica?.stop();
    await client?.close();
    await sb?.stop();
  });

  it('resolves once ovs-vswitchd has applied the change: the datapath already has the bridge and port', async () => {
    const t = addBridgeOps(replica!, 'br-w', 'w-p0');
    const results = await transactAndWait(client!, replica!, t.ops(), { timeoutMs: 20_000 });
    expect(results.length).toBe(t.length);
    const s = replica!.snapshot();
    expect(s.openVSwitch!.cur_cfg).toBe(s.openVSwitch!.next_cfg);
    expect(s.openVSwitch!.cur_cfg).toBeGreaterThan(0);
    // No polling: ovs-vswitchd's own view must show the bridge right now.
    const dp = await sb!.appctl('ovs-vswitchd', 'dpif/show');
    expect(dp).toMatch(/br-w/);
    expect(dp).toMatch(/w-p0/);
    expect(await sb!.ofctl('show', sb!.mgmt('br-w'))).toMatch(/w-p0/);
  });

  it('rejects with OvsdbCurCfgTimeoutError while ovs-vswitchd is down, and cur_cfg catches up after its restart', async () => {
    await sb!.kill('ovs-vswitchd');
    const t = addBridgeOps(replica!, 'br-late', 'late-p0');
    const err = await transactAndWait(client!, replica!, t.ops(), { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OvsdbCurCfgTimeoutError);
    const wanted = (err as OvsdbCurCfgTimeoutError).wantedCfg;
    expect(replica!.snapshot().openVSwitch!.next_cfg).toBe(wanted);
    expect(replica!.snapshot().openVSwitch!.cur_cfg).toBeLessThan(wanted);
    await sb!.startVswitchd();
    await replica!.waitForCurCfg(wanted, 20_000);
    expect(await sb!.appctl('ovs-vswitchd', 'dpif/show')).toMatch(/late-p0/);
  });

  it('throws the op error and bumps nothing when the transaction fails', async () => {
    const before = replica!.snapshot().openVSwitch!.next_cfg;
    const t = new Txn();
    t.update('Bridge', [['name', '==', 'br-w']], { fail_mode: 'bogus' });
    await expect(transactAndWait(client!, replica!, t.ops())).rejects.toMatchObject({ kind: 'constraint violation' });
    expect((await sb!.vsctl('get', 'Open_vSwitch', '.', 'next_cfg')).trim()).toBe(String(before));
  });
});
