import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { config as rxConfig, filter, firstValueFrom, startWith, timeout } from 'rxjs';
import { OvsSandbox } from '../../../src/sandbox/ovs-sandbox.js';
import {
  OvsdbClient, OvsdbDisconnectedError, Txn, VswitchReplica, ZERO_UUID, byUuid, mutation, ovsMap, ovsSet, type OvsdbAnomalyKind, type VswitchSnapshot,
} from '../../../src/ovsdb/index.js';
import { TenantTraffic } from '../../../src/agent/tenant-stats.js';
import { interfaceRecord } from '../../../src/core/owned-ports.js';
import { Metrics } from '../../../src/observe/metrics.js';
import { recordedVswitchSchema } from '../../unit/ovsdb/fixtures/recorded.js';
import { capturingLogger, fakeServer, type Script } from './fake-server.js';

const WAIT_MS = 10_000;
const R1 = '11111111-1111-4111-8111-111111111111';
const R2 = '22222222-2222-4222-8222-222222222222';
const ROOT = '33333333-3333-4333-8333-333333333333';

function waitFor(replica: VswitchReplica, pred: (s: VswitchSnapshot) => boolean): Promise<VswitchSnapshot> {
  return firstValueFrom(replica.changes$.pipe(startWith(replica.snapshot()), filter(pred), timeout(WAIT_MS)));
}

/** Unhandled errors of RxJS subscribers (a throw in a `next` callback), which would otherwise crash the process. */
function catchRxUnhandled(): { errors: unknown[]; restore: () => void } {
  const errors: unknown[] = [];
  const before = rxConfig.onUnhandledError;
  rxConfig.onUnhandledError = (err) => errors.push(err);
  return { errors, restore: () => (rxConfig.onUnhandledError = before) };
}

describe('data a real ovsdb-server holds can be hostile too', () => {
  let sb: OvsSandbox | undefined;
  const toClose: { close: () => unknown }[] = [];
  beforeAll(async () => {
    sb = await OvsSandbox.start({ label: 'ovsdb-hostile', vswitchd: false });
  });
  afterEach(async () => {
    for (const c of toClose.splice(0).reverse()) await c.close();
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('a negative statistic written with ovs-vsctl does not throw out of the tenant-traffic subscriber; it is counted as an anomaly', async () => {
    const client = await OvsdbClient.connect(sb!.dbEndpoint);
    toClose.push(client);
    const replica = await VswitchReplica.start(client);
    toClose.push({ close: () => replica.stop() });
    // An owned port of tenant blue, recorded the way the agent records it.
    const ids = interfaceRecord({ key: '/n/a#1', ns: { path: '/n/a', inode: 1 }, tenant: 'blue', tenantId: 1, ip: '10.0.0.2', prefixLen: 24, mac: '02:00:00:00:00:01', ifName: 'eth0', mtu: 1500, gateway: undefined });
    const t = new Txn();
    const i = t.insert('Interface', { name: 'nsvhostile0', type: 'internal', external_ids: ovsMap(ids) });
    const p = t.insert('Port', { name: 'nsvhostile0', interfaces: i, external_ids: ovsMap({ 'nsvswitch-owner': 'nsvswitch' }) });
    const b = t.insert('Bridge', { name: 'br-hostile', ports: ovsSet([p]) });
    t.mutate('Open_vSwitch', [byUuid(replica.snapshot().openVSwitch!._uuid)], [mutation('bridges', 'insert', ovsSet([b]))]);
    await client.transact('Open_vSwitch', t.ops());

    const metrics = new Metrics({ defaultMetrics: false });
    const traffic = new TenantTraffic();
    const rx = catchRxUnhandled();
    try {
      // As the agent subscribes: no error handler, so a throw would be an uncaught exception.
      const sub = replica.changes$.subscribe((snap) => traffic.publish(metrics, snap, 'br-hostile'));
      try {
        await sb!.vsctl('--no-wait', 'set', 'Interface', 'nsvhostile0', 'statistics:rx_packets=7');
        await waitFor(replica, (s) => [...s.interfaces.values()].some((x) => x.statistics.rx_packets === 7));
        await sb!.vsctl('--no-wait', 'set', 'Interface', 'nsvhostile0', 'statistics:rx_packets=-5', 'statistics:tx_packets=-9223372036854775808');
        await waitFor(replica, (s) => [...s.interfaces.values()].some((x) => x.statistics.rx_packets === -5));
        await sb!.vsctl('--no-wait', 'set', 'Interface', 'nsvhostile0', 'statistics:rx_packets=10', 'statistics:tx_packets=1');
        await waitFor(replica, (s) => [...s.interfaces.values()].some((x) => x.statistics.rx_packets === 10));
        await new Promise((r) => setTimeout(r, 20));
      } finally {
        sub.unsubscribe();
      }
    } finally {
      rx.restore();
    }
    expect(rx.errors).toEqual([]);
    const text = await metrics.registry.metrics();
    expect(text).toContain('nsvswitch_tenant_receive_packets_total{tenant="blue"} 10');
    expect(text).toContain('nsvswitch_tenant_transmit_packets_total{tenant="blue"} 1');
    expect(text).toMatch(/nsvswitch_ovsdb_anomalies_total\{kind="bad-statistic"\} [1-9]/);
  });

  it('a last-txn-id that is not a uuid (from a lying server) does not poison the resync with the real server', async () => {
    // A proxy to the real server that, on the first connection only, slips one update3 with a bogus txn id
    // in front of the monitor reply. Every later connection is a plain pipe to the real server.
    const sockets = new Set<Socket>();
    let conns = 0;
    const proxy: Server = createServer((down) => {
      const first = conns++ === 0;
      const up = connect({ path: sb!.dbSock });
      for (const s of [down, up]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
      up.on('data', (d) => down.write(d));
      down.on('data', (d) => {
        if (first && d.includes('"monitor_cond_since"')) {
          down.write(JSON.stringify({ id: null, method: 'update3', params: ['nsvs-monitor-1', 'not-a-uuid', {}] }));
        }
        up.write(d);
      });
      down.on('close', () => up.destroy());
      up.on('close', () => down.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    toClose.push({ close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); proxy.close(() => r()); }) });
    const port = (proxy.address() as { port: number }).port;

    const anomalies: OvsdbAnomalyKind[] = [];
    const { logger, lines } = capturingLogger();
    const client = await OvsdbClient.connect(`tcp:127.0.0.1:${port}`, { logger, reconnectMinMs: 20, reconnectMaxMs: 200, onAnomaly: (k) => anomalies.push(k) });
    toClose.push(client);
    const replica = await VswitchReplica.start(client);
    toClose.push({ close: () => replica.stop() });
    expect(replica.monitor.lastTxnId).toBeUndefined();
    expect(anomalies).toEqual(['bad-txn-id']);

    const reconnected = firstValueFrom(client.reconnects$.pipe(timeout(5_000)));
    client.dropConnection('test: server went away');
    expect(await reconnected).toBe(1);
    await sb!.vsctl('--no-wait', 'add-br', 'br-after-lie');
    await waitFor(replica, (s) => [...s.bridges.values()].some((x) => x.name === 'br-after-lie'));
    expect(conns).toBe(2);
    expect(lines.join('')).not.toMatch(/resync after reconnect failed/);
  });
});

const schemaJson = recordedVswitchSchema();

/** A lying server that speaks enough of the protocol for a VswitchReplica: the real schema, then rows it makes up. */
function lyingVswitch(initial: Record<string, unknown>, after?: (sock: Socket) => void): Script {
  return (sock, req) => {
    if (req.method === 'get_schema') sock.write(JSON.stringify({ id: req.id, result: schemaJson, error: null }));
    else if (req.method === 'monitor_cond_since') {
      sock.write(JSON.stringify({ id: req.id, result: [false, ZERO_UUID, initial], error: null }));
      after?.(sock);
    } else if (req.method === 'echo') sock.write(JSON.stringify({ id: req.id, result: req.params, error: null }));
    else if (req.method === 'list_dbs') sock.write(JSON.stringify({ id: req.id, result: ['Open_vSwitch'], error: null }));
    else if (req.id !== null && req.id !== undefined) sock.write(JSON.stringify({ id: req.id, result: {}, error: null }));
  };
}

describe('OvsdbClient facing a lying server', () => {
  const toClose: { close: () => unknown }[] = [];
  afterEach(async () => {
    // Clients first, then the fake servers.
    for (const c of toClose.splice(0).reverse()) await c.close();
  });

  it('skips a row of the wrong type (logged once), keeps the connection and the good rows: no reconnect loop', async () => {
    const initial = {
      Open_vSwitch: { [ROOT]: { initial: { bridges: ['set', [['uuid', R1], ['uuid', R2]]], cur_cfg: 1 } } },
      Bridge: { [R1]: { initial: { name: 'br-good' } }, [R2]: { initial: { name: ['map', [['__proto__', 'x']]] } } },
    };
    const fake = await fakeServer([
      lyingVswitch(initial, (sock) => {
        // The bad row, again and again, and a bad modify of the good one.
        for (let i = 0; i < 50; i++) {
          sock.write(JSON.stringify({ id: null, method: 'update3', params: ['nsvs-monitor-1', ZERO_UUID, { Bridge: { [R2]: { insert: { name: 7 } }, [R1]: { modify: { ports: ['set', [['uuid', 'nope']]] } } } }] }));
        }
        sock.write(JSON.stringify({ id: null, method: 'update3', params: ['nsvs-monitor-1', ZERO_UUID, { Bridge: { [R1]: { modify: { fail_mode: 'secure' } } } }] }));
      }),
    ]);
    toClose.push(fake);
    const anomalies: OvsdbAnomalyKind[] = [];
    const { logger, lines } = capturingLogger();
    const client = await OvsdbClient.connect(fake.endpoint, { logger, reconnectMinMs: 20, reconnectMaxMs: 100, onAnomaly: (k) => anomalies.push(k) });
    toClose.push(client);
    const replica = await VswitchReplica.start(client);
    toClose.push({ close: () => replica.stop() });
    const s = await waitFor(replica, (x) => x.bridges.get(R1)?.fail_mode === 'secure');
    expect([...s.bridges.values()].map((b) => b.name)).toEqual(['br-good']);
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.connections).toBe(1);
    expect(client.isConnected).toBe(true);
    expect(anomalies.filter((k) => k === 'bad-row').length).toBe(101);
    expect(lines.filter((l) => l.includes('does not fit the schema')).length).toBe(2);
    expect(lines.join('')).not.toMatch(/connection lost|dropped/);
  });

  it('backs off more and more from a server that accepts and closes at once (no reset after a connection that never lasted)', async () => {
    // The first connection works; every later one is closed as soon as it is accepted.
    const fake = await fakeServer([() => undefined], (sock, n) => n > 0 && sock.destroy());
    toClose.push(fake);
    const { logger, lines } = capturingLogger();
    const client = await OvsdbClient.connect(fake.endpoint, { logger, reconnectMinMs: 20, reconnectMaxMs: 2_000 });
    toClose.push(client);
    client.dropConnection('test: the server turns hostile');
    await new Promise((r) => setTimeout(r, 2_000));
    // Delays of ~20, 40, 80, ... ms: about 7 attempts in 2 s (a reset per attempt would make ~100).
    expect(fake.connections).toBeGreaterThanOrEqual(3);
    expect(fake.connections).toBeLessThanOrEqual(12);
    expect(lines.filter((l) => l.includes('connection lost')).length).toBe(1);
  });

  it('ignores a flood of replies to requests never sent with one warning and a count, and keeps working', async () => {
    const fake = await fakeServer([
      (sock, req) => {
        if (req.method === 'list_dbs') {
          const junk: string[] = [];
          for (let i = 0; i < 10_000; i++) junk.push(JSON.stringify({ id: i % 2 ? `bogus-${i}` : 1_000_000 + i, result: null, error: null }));
          sock.write(junk.join(''));
          sock.write(JSON.stringify({ id: req.id, result: ['Fake'], error: null }));
        }
        if (req.method === 'echo') sock.write(JSON.stringify({ id: req.id, result: req.params, error: null }));
      },
    ]);
    toClose.push(fake);
    const anomalies: OvsdbAnomalyKind[] = [];
    const { logger, lines } = capturingLogger();
    const client = await OvsdbClient.connect(fake.endpoint, { logger, onAnomaly: (k) => anomalies.push(k) });
    toClose.push(client);
    expect(await client.listDbs()).toEqual(['Fake']);
    await expect(client.echo()).resolves.toBeUndefined();
    expect(lines.filter((l) => l.includes('never sent')).length).toBe(1);
    expect(anomalies.length).toBe(10_000);
    expect(fake.connections).toBe(1);
  });

  it('drops a message nested a million levels deep before parsing it (no memory blow-up), and reconnects', async () => {
    const depth = 1_000_000;
    const deep = (id: unknown): string => `{"id":${String(id)},"result":${'['.repeat(depth)}${']'.repeat(depth)},"error":null}`;
    const fake = await fakeServer([
      (sock, req) => {
        if (req.method === 'list_dbs') sock.write(deep(req.id));
      },
      (sock, req) => {
        if (req.method === 'list_dbs') sock.write(JSON.stringify({ id: req.id, result: ['Fake'], error: null }));
      },
    ]);
    toClose.push(fake);
    const anomalies: OvsdbAnomalyKind[] = [];
    const client = await OvsdbClient.connect(fake.endpoint, { reconnectMinMs: 20, reconnectMaxMs: 50, onAnomaly: (k) => anomalies.push(k) });
    toClose.push(client);
    const reconnected = firstValueFrom(client.reconnects$);
    const rssBefore = process.memoryUsage().rss;
    const err = await client.listDbs().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OvsdbDisconnectedError);
    expect(String((err as Error).cause)).toMatch(/nested deeper than 64 levels/);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * 1024 * 1024);
    expect(anomalies).toEqual(['bad-message']);
    expect(await reconnected).toBe(1);
    expect(await client.listDbs()).toEqual(['Fake']);
  });
});
