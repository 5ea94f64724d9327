import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filter, firstValueFrom, startWith, timeout } from 'rxjs';
import { join } from 'node:path';
import { run } from '../../../src/exec/run.js';
import { OvsSandbox, VSWITCH_SCHEMA } from '../../../src/sandbox/ovs-sandbox.js';
import { killByPidFile } from '../../../src/sandbox/pid-file.js';
import {
  OvsdbClient, OvsdbDisconnectedError, Txn, VswitchReplica, byUuid, mutation, ovsMap, ovsSet, type VswitchSnapshot,
} from '../../../src/ovsdb/index.js';
import { oracleView, replicaView } from './replica-view.js';

const WAIT_MS = 10_000;

/** Resolves with the first snapshot (current or future) that satisfies pred. */
function waitFor(replica: VswitchReplica, pred: (s: VswitchSnapshot) => boolean): Promise<VswitchSnapshot> {
  return firstValueFrom(replica.changes$.pipe(startWith(replica.snapshot()), filter(pred), timeout(WAIT_MS)));
}
const bridgeNamed = (s: VswitchSnapshot, n: string) => [...s.bridges.values()].find((b) => b.name === n);
const portNamed = (s: VswitchSnapshot, n: string) => [...s.ports.values()].find((p) => p.name === n);

describe('VswitchReplica follows changes made by ovs-vsctl', () => {
  let sb: OvsSandbox | undefined;
  let client: OvsdbClient | undefined;
  let replica: VswitchReplica | undefined;
  beforeAll(async () => {
    sb = await OvsSandbox.start({ label: 'ovsdb-mon', vswitchd: false });
    client = await OvsdbClient.connect(sb.dbEndpoint);
    replica = await VswitchReplica.start(client);
  });
  afterAll(async () => {
    await replica?.stop();
    await client?.close();
    await sb?.stop();
  });

  it('starts from the initial snapshot with defaults filled', () => {
    const s = replica!.snapshot();
    expect(s.openVSwitch).toMatchObject({ bridges: [], next_cfg: 0, cur_cfg: 0, external_ids: {} });
    expect(s.bridges.size).toBe(0);
  });

  it('sees bridges, ports and map edits appear, change and go, matching ovsdb-client dump each time', async () => {
    await sb!.vsctl('--no-wait', 'add-br', 'br-m', '--', 'set', 'Bridge', 'br-m', 'fail_mode=secure', 'external_ids:k=v');
    let s = await waitFor(replica!, (x) => bridgeNamed(x, 'br-m') !== undefined);
    expect(bridgeNamed(s, 'br-m')).toMatchObject({ fail_mode: 'secure', external_ids: { k: 'v' }, protocols: [], datapath_type: '' });
    expect(replicaView(s)).toEqual(await oracleView(sb!));

    await sb!.vsctl('--no-wait', 'add-port', 'br-m', 'm0', '--', 'set', 'Interface', 'm0', 'type=internal', 'external_ids:ip=10.1.0.1',
      '--', 'add-port', 'br-m', 'm1', '--', 'set', 'Interface', 'm1', 'type=internal');
    s = await waitFor(replica!, (x) => portNamed(x, 'm1') !== undefined);
    expect(replicaView(s)).toEqual(await oracleView(sb!));

    await sb!.vsctl('--no-wait', 'clear', 'Bridge', 'br-m', 'fail_mode', '--', 'set', 'Bridge', 'br-m', 'external_ids:k=w', 'external_ids:n=日本😀',
      '--', 'del-port', 'br-m', 'm0');
    s = await waitFor(replica!, (x) => portNamed(x, 'm0') === undefined);
    expect(bridgeNamed(s, 'br-m')).toMatchObject({ fail_mode: undefined, external_ids: { k: 'w', n: '日本😀' } });
    expect(replicaView(s)).toEqual(await oracleView(sb!));

    await sb!.vsctl('--no-wait', 'del-br', 'br-m');
    s = await waitFor(replica!, (x) => x.bridges.size === 0);
    expect(s.ports.size + s.interfaces.size).toBe(0);
    expect(replicaView(s)).toEqual(await oracleView(sb!));
  });

  it('has our own transaction in the replica by the time transact() resolves', async () => {
    const root = replica!.snapshot().openVSwitch!;
    const t = new Txn();
    const i = t.insert('Interface', { name: 'own0', type: 'internal' });
    const p = t.insert('Port', { name: 'own0', interfaces: i });
    const b = t.insert('Bridge', { name: 'br-own', ports: ovsSet([p]), external_ids: ovsMap({ mine: 'yes' }) });
    t.mutate('Open_vSwitch', [byUuid(root._uuid)], [mutation('bridges', 'insert', ovsSet([b]))]);
    const results = await client!.transact('Open_vSwitch', t.ops());
    const s = replica!.snapshot();
    expect(s.bridges.get(t.uuidOf(results, b))).toMatchObject({ name: 'br-own', external_ids: { mine: 'yes' } });
    expect(replicaView(s)).toEqual(await oracleView(sb!));
  });
});

describe('killing and restarting ovsdb-server mid-run', () => {
  let sb: OvsSandbox | undefined;
  let client: OvsdbClient | undefined;
  let replica: VswitchReplica | undefined;
  beforeAll(async () => {
    sb = await OvsSandbox.start({ label: 'ovsdb-kill', vswitchd: false });
    await sb.vsctl('--no-wait', 'add-br', 'br-k', '--', 'add-port', 'br-k', 'doomed', '--', 'set', 'Interface', 'doomed', 'type=internal');
    // holdMs 0: requests fail at once while the server is down (the default holds them up to 5 s).
    client = await OvsdbClient.connect(sb.dbEndpoint, { reconnectMinMs: 50, reconnectMaxMs: 400, requestTimeoutMs: 5_000, holdMs: 0 });
    replica = await VswitchReplica.start(client);
  });
  afterAll(async () => {
    await replica?.stop();
    await client?.close();
    await sb?.stop();
  });

  it('fails in-flight and new requests fast, reconnects, rebuilds the replica, and a retrying writer finishes', async () => {
    const connectedStates: boolean[] = [];
    client!.connected$.subscribe((c) => connectedStates.push(c));
    const reconnected = firstValueFrom(client!.reconnects$);
    const errors: unknown[] = [];

    // A writer that adds 30 ports one transaction at a time, the way a reconciler would:
    // on a lost connection it waits for the reconnect and retries what is not in the replica yet.
    const writer = (async () => {
      for (let n = 0; n < 30; n++) {
        for (;;) {
          const s = replica!.snapshot();
          if (portNamed(s, `w${n}`)) break;
          const t = new Txn();
          const i = t.insert('Interface', { name: `w${n}`, type: 'internal' });
          const p = t.insert('Port', { name: `w${n}`, interfaces: i });
          t.mutate('Bridge', [byUuid(bridgeNamed(s, 'br-k')!._uuid)], [mutation('ports', 'insert', ovsSet([p]))]);
          try {
            await client!.transact('Open_vSwitch', t.ops());
            break;
          } catch (err) {
            errors.push(err);
            if (!(err instanceof OvsdbDisconnectedError)) throw err;
            await firstValueFrom(client!.connected$.pipe(filter(Boolean)));
          }
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    // A request that blocks on the server (wait until br-k disappears) is in flight when the server dies.
    const blocked = client!
      .transact('Open_vSwitch', [{ op: 'wait', table: 'Bridge', where: [['name', '==', 'br-k']], columns: ['name'], until: '==', rows: [] }])
      .then(() => 'resolved', (e: unknown) => e);
    await waitFor(replica!, (s) => portNamed(s, 'w8') !== undefined);
    await sb!.kill('ovsdb-server');
    expect(await blocked).toBeInstanceOf(OvsdbDisconnectedError);
    expect(await blocked).toMatchObject({ sent: true });
    await firstValueFrom(client!.connected$.pipe(filter((c) => !c)));
    await expect(client!.listDbs()).rejects.toThrow(/not connected.*the request was not sent/);

    // While the server is down, change the database file offline: drop port "doomed", add bridge "br-offline".
    const offline = [
      'Open_vSwitch',
      { op: 'mutate', table: 'Bridge', where: [['name', '==', 'br-k']], mutations: [['ports', 'delete', ['set', [['uuid', portNamed(replica!.snapshot(), 'doomed')!._uuid]]]]] },
      { op: 'insert', table: 'Interface', row: { name: 'br-offline', type: 'internal' }, 'uuid-name': 'i' },
      { op: 'insert', table: 'Port', row: { name: 'br-offline', interfaces: ['named-uuid', 'i'] }, 'uuid-name': 'p' },
      { op: 'insert', table: 'Bridge', row: { name: 'br-offline', ports: ['named-uuid', 'p'] }, 'uuid-name': 'b' },
      { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['bridges', 'insert', ['set', [['named-uuid', 'b']]]]] },
    ];
    await run('ovsdb-tool', ['transact', join(sb!.dir, 'conf.db'), JSON.stringify(offline)], { env: sb!.env });
    await sb!.startOvsdb();

    expect(await reconnected).toBe(1);
    await writer;
    const s = await waitFor(replica!, (x) => portNamed(x, 'w29') !== undefined);
    expect(portNamed(s, 'doomed')).toBeUndefined();
    expect(bridgeNamed(s, 'br-offline')).toBeDefined();
    expect(replicaView(s)).toEqual(await oracleView(sb!));
    expect(connectedStates).toEqual([true, false, true]);
    expect(errors.every((e) => e instanceof OvsdbDisconnectedError)).toBe(true);
  });
});

describe('resuming a monitor with monitor_cond_since on a clustered ovsdb-server', () => {
  let sb: OvsSandbox | undefined;
  let client: OvsdbClient | undefined;
  let replica: VswitchReplica | undefined;
  let pidFile = '';
  let endpoint = '';
  beforeAll(async () => {
    // Standalone databases keep no transaction history (their txn id is all zeros), so
    // resume (found=true) needs a clustered database: a one-server Raft cluster in the sandbox's host netns.
    sb = await OvsSandbox.start({ label: 'ovsdb-raft', vswitchd: false });
    const db = join(sb.dir, 'raft.db');
    pidFile = join(sb.dir, 'raft.pid');
    endpoint = `unix:${join(sb.dir, 'raft.sock')}`;
    await run('ovsdb-tool', ['create-cluster', db, VSWITCH_SCHEMA, 'tcp:127.0.0.1:6644']);
    await sb.inHost('ovsdb-server', ['--detach', '--no-chdir', `--pidfile=${pidFile}`, `--log-file=${join(sb.dir, 'raft.log')}`,
      `--unixctl=${join(sb.dir, 'raft.ctl')}`, `--remote=punix:${join(sb.dir, 'raft.sock')}`, db]);
    await run('ovs-vsctl', [`--db=${endpoint}`, '--timeout=30', '--no-wait', 'init'], { env: sb.env });
    // ovsdb-server trims its txn history once it holds more atoms than the database itself, so a
    // near-empty database remembers only its last transaction; give it some bulk first.
    const bulk = Array.from({ length: 100 }, (_, n) => ['--', 'add-port', 'br-bulk', `bulk${n}`, '--', 'set', 'Interface', `bulk${n}`, 'type=internal',
      `external_ids:a=${n}`, `external_ids:b=${n}`, `external_ids:c=${n}`]).flat();
    await run('ovs-vsctl', [`--db=${endpoint}`, '--timeout=30', '--no-wait', 'add-br', 'br-bulk', ...bulk], { env: sb.env });
    client = await OvsdbClient.connect(endpoint, { reconnectMinMs: 600, reconnectMaxMs: 600 });
    replica = await VswitchReplica.start(client);
  });
  afterAll(async () => {
    await replica?.stop();
    await client?.close();
    if (pidFile) await killByPidFile(pidFile, 'SIGTERM');
    await sb?.stop();
  });

  it('continues from the last txn id after a reconnect (a delta, not a rebuild) and catches up', async () => {
    const vsctl = (...args: string[]) => run('ovs-vsctl', [`--db=${endpoint}`, '--timeout=30', '--no-wait', ...args], { env: sb!.env });
    await vsctl('add-br', 'br-r1');
    await waitFor(replica!, (s) => bridgeNamed(s, 'br-r1') !== undefined);
    const monitor = replica!.monitor;
    expect(monitor.method).toBe('monitor_cond_since');
    expect(monitor.lastTxnId).not.toMatch(/^0{8}-/);
    const before = replica!.snapshot();

    const resync = firstValueFrom(monitor.updates$);
    client!.dropConnection('test: simulated network blip');
    await vsctl('add-br', 'br-r2'); // happens while we are disconnected (reconnect waits >= 300 ms)
    expect(await firstValueFrom(client!.reconnects$)).toBe(1);
    const u = await resync;
    expect(u.reset).toBe(false);
    const s = await waitFor(replica!, (x) => bridgeNamed(x, 'br-r2') !== undefined);
    // Rows that did not change keep their identity: proof the replica was patched, not rebuilt.
    expect(s.bridges.get(bridgeNamed(before, 'br-r1')!._uuid)).toBe(bridgeNamed(before, 'br-r1'));
  });
});
