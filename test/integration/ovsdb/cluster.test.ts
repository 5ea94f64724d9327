import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filter, firstValueFrom, lastValueFrom, skip, timeout, toArray } from 'rxjs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  OvsdbClient, OvsdbDisconnectedError, OvsdbFrameTooLargeError, OvsdbInvalidLockNameError, OvsdbSchemaError, OvsdbOpError, ovsSet, type OvsdbMonitor, type Operation, type Row,
} from '../../../src/ovsdb/index.js';
import { RaftCluster, TEST_DB } from './raft-cluster.js';

// Behaviour on a real 3-member Raft cluster (members on a unix socket and tcp 127.0.0.1).

/** Exactly-once insert: the wait op makes a retry of a committed insert fail "timed out" instead of duplicating it. */
function insertOnce(name: string, n: number): Operation[] {
  return [
    { op: 'wait', table: 'Item', where: [['name', '==', name]], columns: ['name'], until: '==', rows: [], timeout: 0 },
    { op: 'insert', table: 'Item', row: { name, n, tags: ovsSet(n % 3 === 0 ? ['x', 'y'] : ['z']) } },
  ];
}

/** Inserts; on a lost connection retries (sent or not: insertOnce is idempotent). Returns when committed. */
async function writeOnce(client: OvsdbClient, name: string, n: number, deadline: number): Promise<void> {
  for (;;) {
    try {
      await client.transact(TEST_DB, insertOnce(name, n));
      return;
    } catch (err) {
      if (OvsdbOpError.is(err, 'timed out')) return; // committed by an attempt whose reply was lost
      if (!(err instanceof OvsdbDisconnectedError) || Date.now() > deadline) throw err;
    }
  }
}

function replicaItems(m: OvsdbMonitor, columns: readonly string[] = ['name', 'n', 'tags']): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const r of m.rows().get('Item')!.values()) out.set(String(r.name), Object.fromEntries(columns.map((c) => [c, (r as Row)[c]])));
  return out;
}

async function expectReplicaEqualsDump(cluster: RaftCluster, m: OvsdbMonitor, client: OvsdbClient, columns?: readonly string[]): Promise<void> {
  await client.echo(); // every update sent before this reply is applied
  const { items, duplicates } = await cluster.dumpItems(undefined, columns);
  expect(duplicates).toEqual([]);
  expect(replicaItems(m, columns)).toEqual(items);
}

describe('OvsdbClient on a 3-member Raft cluster', () => {
  let cluster: RaftCluster | undefined;
  const clients: OvsdbClient[] = [];
  beforeAll(async () => {
    cluster = await RaftCluster.start('client');
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) await c.close();
    await cluster?.stop();
  });

  async function connect(opts: Parameters<typeof OvsdbClient.connect>[1] = {}, remotes?: string): Promise<OvsdbClient> {
    const c = await OvsdbClient.connect(remotes ?? cluster!.remotes, { reconnectMinMs: 50, reconnectMaxMs: 1000, requestTimeoutMs: 10_000, ...opts });
    clients.push(c);
    return c;
  }

  it('talks to the leader only, and after the leader is SIGKILLed under a stream of writes commits again within 5 s, none lost or duplicated', async () => {
    const c = await connect({ holdMs: 8_000 });
    const m = await c.monitor(TEST_DB, { Item: {} });
    const leader = await cluster!.leader();
    expect(c.currentRemote).toBe(cluster!.members[leader]!.remote);

    const total = 60;
    let killedAt = 0;
    let firstAfterKill = 0;
    const writer = (async () => {
      for (let n = 0; n < total; n++) {
        await writeOnce(c, `w${n}`, n, Date.now() + 30_000);
        if (killedAt && !firstAfterKill) firstAfterKill = Date.now();
      }
    })();
    await firstValueFrom(m.updates$.pipe(filter(() => replicaItems(m).size >= 20), timeout(20_000)));
    await cluster!.killMember(leader);
    killedAt = Date.now();
    await writer; // no hung promise: every write settled
    expect(firstAfterKill - killedAt).toBeLessThan(5_000);
    expect(c.currentRemote).not.toBe(cluster!.members[leader]!.remote);
    await expectReplicaEqualsDump(cluster!, m, c);
    expect([...replicaItems(m).keys()].sort()).toEqual(Array.from({ length: total }, (_, n) => `w${n}`).sort());

    await cluster!.startMember(leader);
    await cluster!.waitConnected(leader);
    await m.cancel();
  }, 60_000);

  it('a restarted member 20 times: an assert-lock transaction sent while the client fails over succeeds 20/20 (locks re-held first)', async () => {
    // Follower reads: any member with quorum will do, so the client moves at once to the next member.
    const leader = await cluster!.leader();
    const followers = cluster!.members.filter((x) => x.index !== leader);
    const c = await connect({ leaderOnly: false, remoteOrder: 'ordered', holdMs: 10_000, healthyAfterMs: 200 }, followers.map((f) => f.remote).join(','));
    const m = await c.monitor(TEST_DB, { Item: {} });
    expect(await c.lock('writer_lock')).toBe(true);
    const held: string[] = [];
    const onReconnect: Promise<string>[] = [];
    const outcome = (p: Promise<unknown>): Promise<string> => p.then(() => 'ok', (e: unknown) => String(e));
    const assertLockTxn = (name: string): Promise<unknown> => c.transact(TEST_DB, [{ op: 'assert', lock: 'writer_lock' }, ...insertOnce(name, 0).slice(1)]);
    // A transaction sent the moment reconnects$ emits must find the lock held again.
    const sub = c.reconnects$.subscribe((n) => onReconnect.push(outcome(assertLockTxn(`reconnect${n}`))));
    for (let round = 0; round < 20; round++) {
      const on = followers.find((f) => f.remote === c.currentRemote)!;
      const down = firstValueFrom(c.connected$.pipe(filter((x) => !x)));
      await cluster!.killMember(on.index);
      await down;
      // Sent while the client fails over: held until it is on the other member, resynced, with the lock held again.
      held.push(await outcome(assertLockTxn(`held${round}`)));
      await cluster!.startMember(on.index);
      await cluster!.waitConnected(on.index);
    }
    sub.unsubscribe();
    const results = [...held, ...(await Promise.all(onReconnect))];
    expect(held).toHaveLength(20);
    expect(onReconnect.length).toBeGreaterThanOrEqual(20);
    expect(results).toEqual(Array(results.length).fill('ok'));
    await expectReplicaEqualsDump(cluster!, m, c);
    await m.cancel();
  }, 90_000);

  it('leaves a member that lost quorum (the other two killed), and comes back when they return', async () => {
    const leader = await cluster!.leader();
    const follower = cluster!.members.find((x) => x.index !== leader)!;
    const c = await connect({ leaderOnly: false, holdMs: 0 }, follower.remote);
    const m = await c.monitor(TEST_DB, { Item: {} });
    const others = cluster!.members.filter((x) => x.index !== follower.index);
    const lost = firstValueFrom(c.connected$.pipe(filter((x) => !x), timeout(15_000)));
    for (const o of others) await cluster!.killMember(o.index);
    await lost; // the member is alive, but without quorum it is left
    expect(await cluster!.isRunning(follower.index)).toBe(true);
    const err = await c.transact(TEST_DB, insertOnce('during-partition', 0)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OvsdbDisconnectedError);
    expect((err as OvsdbDisconnectedError).sent).toBe(false);

    const back = firstValueFrom(c.reconnects$.pipe(timeout(30_000)));
    for (const o of others) await cluster!.startMember(o.index);
    await back;
    await writeOnce(c, 'after-partition', 1, Date.now() + 10_000);
    await expectReplicaEqualsDump(cluster!, m, c);
    await m.cancel();
  }, 60_000);

  it('follows a monitor that grows from 5k to 60k rows across a reconnect, and equals the dump', async () => {
    for (const x of cluster!.members) await cluster!.waitConnected(x.index);
    // A 10k-row Raft entry takes the leader longer than the default 1 s election timer on 2 busy cores.
    await cluster!.setElectionTimer(4_000);
    const c = await connect();
    const w = await connect();
    const bulk = async (from: number, count: number): Promise<void> => {
      // Idempotent (the wait op), so a batch cut by a leader change is simply sent again.
      const ops: Operation[] = [{ op: 'wait', table: 'Item', where: [['name', '==', `bulk${from}`]], columns: ['name'], until: '==', rows: [], timeout: 0 }];
      for (let n = from; n < from + count; n++) ops.push({ op: 'insert', table: 'Item', row: { name: `bulk${n}`, n, tags: ovsSet(['b']) } });
      for (let attempt = 0; ; attempt++) {
        try {
          await w.transact(TEST_DB, ops, { timeoutMs: 60_000 });
          return;
        } catch (err) {
          if (OvsdbOpError.is(err, 'timed out')) return;
          if (!(err instanceof OvsdbDisconnectedError) || attempt >= 5) throw err;
        }
      }
    };
    await bulk(0, 5_000);
    const m = await c.monitor(TEST_DB, { Item: {} });
    const before = replicaItems(m).size;
    const reconnected = firstValueFrom(c.reconnects$);
    c.dropConnection('test: reconnect while the table grows');
    for (let from = 5_000; from < 60_000; from += 11_000) await bulk(from, 11_000);
    await reconnected;
    await firstValueFrom(m.updates$.pipe(filter(() => replicaItems(m).size >= before + 55_000), timeout(30_000))).catch(() => undefined);
    expect(replicaItems(m).size).toBe(before + 55_000);
    await expectReplicaEqualsDump(cluster!, m, c);
    await w.transact(TEST_DB, [{ op: 'delete', table: 'Item', where: [['tags', 'includes', ovsSet(['b'])]] }], { timeoutMs: 60_000 });
    await m.cancel();
    await cluster!.setElectionTimer(1_000);
  }, 90_000);

  it('changes a monitor\'s condition with monitor_cond_change (no new full download), survives a reconnect with it; get_server_id; lock names checked', async () => {
    const c = await connect();
    const m = await c.monitor(TEST_DB, { Item: { where: [['name', '==', 'w1']] } });
    expect([...m.rows().get('Item')!.values()].map((r) => r.name)).toEqual(['w1']);
    const updates: number[] = [];
    const sub = m.updates$.subscribe((u) => updates.push(u.reset ? -1 : u.changed.get('Item')?.size ?? 0));
    await m.changeConditions({ Item: [['name', '==', 'w2']] });
    await c.echo();
    expect([...m.rows().get('Item')!.values()].map((r) => r.name)).toEqual(['w2']);
    expect(updates).not.toContain(-1); // a delta (w1 out, w2 in), not a rebuild
    c.dropConnection('test: resync keeps the new condition');
    await firstValueFrom(c.reconnects$);
    expect([...m.rows().get('Item')!.values()].map((r) => r.name)).toEqual(['w2']);
    sub.unsubscribe();
    expect(await c.getServerId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    await expect(c.lock('not a lock name')).rejects.toBeInstanceOf(OvsdbInvalidLockNameError);
    await m.cancel();
  }, 30_000);

  it('a monitor whose resync outgrows maxMessageBytes ends with one clear OvsdbFrameTooLargeError; no reconnect loop', async () => {
    const c = await connect({ maxMessageBytes: 256 * 1024 });
    const w = await connect();
    const m = await c.monitor(TEST_DB, { Item: {} });
    const ended = lastValueFrom(m.updates$.pipe(toArray())).then(() => 'completed', (e: unknown) => e);
    const reconnects: number[] = [];
    const sub = c.reconnects$.subscribe((n) => reconnects.push(n));
    const ops: Operation[] = [];
    for (let n = 0; n < 5_000; n++) ops.push({ op: 'insert', table: 'Item', row: { name: `big${n}`, n, tags: ovsSet(['big']) } });
    await w.transact(TEST_DB, ops, { timeoutMs: 60_000 }); // its update alone is > 256 KiB
    const err = await ended;
    expect(err).toBeInstanceOf(OvsdbFrameTooLargeError);
    expect(String(err)).toMatch(/exceeds maxMessageBytes .*the monitor ends/);
    await sleep(1_000);
    sub.unsubscribe();
    expect(reconnects.length).toBeLessThanOrEqual(1);
    await c.echo(); // the client itself carries on
    await w.transact(TEST_DB, [{ op: 'delete', table: 'Item', where: [['tags', 'includes', ovsSet(['big'])]] }], { timeoutMs: 60_000 });
  }, 60_000);

  it('after ovsdb-client convert while monitoring: a monitor of a dropped table ends with OvsdbSchemaError (no loop), the other follows the new schema', async () => {
    const c = await connect();
    const items = await c.monitor(TEST_DB, { Item: {} });
    const extra = await c.monitor(TEST_DB, { Extra: {} });
    const extraEnd = lastValueFrom(extra.updates$.pipe(toArray())).then(() => 'completed', (e: unknown) => e);
    const rebuilt = firstValueFrom(items.updates$.pipe(filter((u) => u.reset), timeout(20_000)));
    await cluster!.convert();
    expect(await extraEnd).toBeInstanceOf(OvsdbSchemaError);
    await rebuilt;
    expect(items.schema.version).toBe('2.0.0');
    await c.transact(TEST_DB, [{ op: 'insert', table: 'Item', row: { name: 'converted', n: 1, note: 'new column' } }]);
    expect([...items.rows().get('Item')!.values()].find((r) => r.name === 'converted')).toMatchObject({ note: 'new column' });
    await expectReplicaEqualsDump(cluster!, items, c, ['name', 'n', 'tags', 'note']);
    // No reconnect loop: still the same connection a while later.
    const reconnects: number[] = [];
    const sub = c.reconnects$.pipe(skip(0)).subscribe((n) => reconnects.push(n));
    await sleep(500);
    sub.unsubscribe();
    expect(reconnects).toEqual([]);
    await items.cancel();
  }, 60_000);
});
