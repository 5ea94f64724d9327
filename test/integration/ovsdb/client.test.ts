import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstValueFrom, filter, toArray, take } from 'rxjs';
import { OvsSandbox } from '../../../src/sandbox/ovs-sandbox.js';
import {
  OvsdbCanceledError, OvsdbClient, OvsdbDisconnectedError, OvsdbOpError, type OvsdbOpErrorKind, OvsdbRpcError,
  Txn, cond, mutation, ovsSet, uuid, type Operation, type TransactionInfo,
} from '../../../src/ovsdb/index.js';

const DB = 'Open_vSwitch';
const MISSING = '6d1c6a23-0bd7-4f4e-9a63-2b2b4b4b4b4b';

describe('OvsdbClient against a real ovsdb-server', () => {
  let sb: OvsSandbox | undefined;
  let client: OvsdbClient | undefined;
  const txns: TransactionInfo[] = [];

  beforeAll(async () => {
    sb = await OvsSandbox.start({ label: 'ovsdb-client', vswitchd: false });
    await sb.vsctl('--no-wait', 'add-br', 'br0');
    client = await OvsdbClient.connect(sb.dbEndpoint, { onTransaction: (i) => txns.push(i) });
  });
  afterAll(async () => {
    await client?.close();
    await sb?.stop();
  });

  it('lists databases, reads the schema, answers echo', async () => {
    expect(await client!.listDbs()).toContain(DB);
    const schema = await client!.getSchema(DB);
    expect(schema.name).toBe(DB);
    expect(schema.tables.get('Bridge')!.columns.get('ports')!.type.key.refTable).toBe('Port');
    await expect(client!.echo()).resolves.toBeUndefined();
  });

  it('fails a request on an unknown database with OvsdbRpcError naming it', async () => {
    const err = await client!.transact('No_Such_Db', [{ op: 'comment', comment: 'x' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OvsdbRpcError);
    expect((err as OvsdbRpcError).error).toBe('unknown database');
  });

  const rootWhere = [cond('_uuid', '!=', uuid(MISSING))];
  const cases: { name: string; ops: Operation[]; kind: OvsdbOpErrorKind; opIndex: number | 'commit' }[] = [
    { name: 'duplicate index value (commit time)', ops: [{ op: 'insert', table: 'Bridge', row: { name: 'br0' } }, { op: 'mutate', table: DB, where: rootWhere, mutations: [mutation('bridges', 'insert', ovsSet([['named-uuid', 'b']]))] }].map((o, i) => (i === 0 ? { ...o, 'uuid-name': 'b' } : o)) as Operation[], kind: 'constraint violation', opIndex: 'commit' },
    { name: 'enum violation', ops: [{ op: 'update', table: 'Bridge', where: [cond('name', '==', 'br0')], row: { fail_mode: 'bogus' } }], kind: 'constraint violation', opIndex: 0 },
    { name: 'reference to a missing row', ops: [{ op: 'comment', comment: 'x' }, { op: 'update', table: 'Bridge', where: [cond('name', '==', 'br0')], row: { ports: ovsSet([uuid(MISSING)]) } }], kind: 'referential integrity violation', opIndex: 'commit' },
    { name: 'two inserts with one uuid-name', ops: [{ op: 'insert', table: 'Interface', row: { name: 'i1' }, 'uuid-name': 'dup' }, { op: 'insert', table: 'Interface', row: { name: 'i2' }, 'uuid-name': 'dup' }], kind: 'duplicate uuid-name', opIndex: 1 },
    { name: 'abort op', ops: [{ op: 'comment', comment: 'x' }, { op: 'abort' }, { op: 'select', table: 'Bridge', where: [] }], kind: 'aborted', opIndex: 1 },
    { name: 'wait that does not hold', ops: [{ op: 'wait', table: 'Bridge', where: [cond('name', '==', 'br0')], columns: ['name'], until: '==', rows: [], timeout: 0 }], kind: 'timed out', opIndex: 0 },
    { name: 'assert of a lock not held', ops: [{ op: 'assert', lock: 'nobody_holds_this' }], kind: 'not owner', opIndex: 0 },
    { name: 'unknown column', ops: [{ op: 'update', table: 'Bridge', where: [], row: { no_such_column: 1 } }], kind: 'unknown column', opIndex: 0 },
    { name: 'malformed op (lock name not an id)', ops: [{ op: 'comment', comment: 'x' }, { op: 'assert', lock: 'not-an-id' }], kind: 'syntax error', opIndex: 1 },
    { name: 'division by zero', ops: [{ op: 'mutate', table: DB, where: rootWhere, mutations: [mutation('next_cfg', '/=', 0)] }], kind: 'domain error', opIndex: 0 },
    { name: 'int64 overflow', ops: [{ op: 'update', table: DB, where: rootWhere, row: { next_cfg: 2n ** 62n } }, { op: 'mutate', table: DB, where: rootWhere, mutations: [mutation('next_cfg', '*=', 4)] }], kind: 'range error', opIndex: 1 },
  ];

  for (const c of cases) {
    it(`throws an OvsdbOpError of kind "${c.kind}" with the failing op index for: ${c.name}`, async () => {
      const err = await client!.transact(DB, c.ops).catch((e: unknown) => e);
      expect(err, String(err)).toBeInstanceOf(OvsdbOpError);
      const e = err as OvsdbOpError;
      expect(e.kind).toBe(c.kind);
      expect(e.opIndex).toBe(c.opIndex === 'commit' ? c.ops.length : c.opIndex);
      expect(e.atCommit).toBe(c.opIndex === 'commit');
      expect(e.results.slice(e.opIndex + 1).every((r) => r === null)).toBe(true);
      expect(e.message).toContain(e.error);
    });
  }

  it('left the database untouched by the failed transactions', async () => {
    expect((await sb!.vsctl('list-br')).trim()).toBe('br0');
    expect((await sb!.vsctl('get', 'Bridge', 'br0', 'fail_mode')).trim()).toBe('[]');
  });

  it('writes and reads 64-bit integers exactly', async () => {
    const big = 2n ** 62n + 1n;
    const t = new Txn();
    t.update(DB, rootWhere, { next_cfg: big });
    const sel = t.select(DB, rootWhere, ['next_cfg']);
    const r = await client!.transact(DB, t.ops());
    expect(r[sel]!.rows![0]!.next_cfg).toBe(big);
    expect((await sb!.vsctl('get', 'Open_vSwitch', '.', 'next_cfg')).trim()).toBe(big.toString());
    await client!.transact(DB, [{ op: 'update', table: DB, where: rootWhere, row: { next_cfg: 0 } }]);
  });

  it('reports every transaction to onTransaction with its kind and outcome', async () => {
    txns.length = 0;
    await client!.transact(DB, [{ op: 'select', table: 'Bridge', where: [] }]);
    await client!.transact(DB, [{ op: 'abort' }]).catch(() => undefined);
    await client!.transact(DB, [{ op: 'update', table: 'Bridge', where: [cond('name', '==', 'br0')], row: { external_ids: ['map', [['k', 'v']]] } }]);
    expect(txns.map((t) => [t.kind, t.ok])).toEqual([['read', true], ['read', false], ['write', true]]);
    expect(txns.every((t) => t.durationMs >= 0)).toBe(true);
  });

  it('cancels a blocked request with a cancel notification; the connection stays usable', async () => {
    const ac = new AbortController();
    // Blocks until br0 disappears, which never happens.
    const blocked = client!.transact(DB, [{ op: 'wait', table: 'Bridge', where: [cond('name', '==', 'br0')], columns: ['name'], until: '==', rows: [] }], { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(blocked).rejects.toBeInstanceOf(OvsdbCanceledError);
    await expect(client!.echo()).resolves.toBeUndefined();
    expect(await client!.listDbs()).toContain(DB);
  });

  it('locks: a second client queues, gets "locked" on unlock, loses it on steal', async () => {
    const other = await OvsdbClient.connect(sb!.dbEndpoint);
    try {
      const otherEvents = firstValueFrom(other.lockEvents$.pipe(take(2), toArray()));
      expect(await client!.lock('nsvs_test_lock')).toBe(true);
      expect(await other.lock('nsvs_test_lock')).toBe(false);
      await client!.transact(DB, [{ op: 'assert', lock: 'nsvs_test_lock' }]);
      await expect(other.transact(DB, [{ op: 'assert', lock: 'nsvs_test_lock' }])).rejects.toMatchObject({ kind: 'not owner' });
      await client!.unlock('nsvs_test_lock');
      const stolenFromUs = firstValueFrom(client!.lockEvents$.pipe(filter((e) => e.kind === 'stolen')));
      await client!.steal('nsvs_test_lock');
      expect(await otherEvents).toEqual([{ kind: 'locked', lock: 'nsvs_test_lock' }, { kind: 'stolen', lock: 'nsvs_test_lock' }]);
      await other.unlock('nsvs_test_lock'); // the server wants an unlock before a new steal
      await other.steal('nsvs_test_lock');
      expect(await stolenFromUs).toEqual({ kind: 'stolen', lock: 'nsvs_test_lock' });
      await client!.unlock('nsvs_test_lock');
    } finally {
      await other.close();
    }
  });

  it('re-requests its locks after a reconnect and reports them locked again', async () => {
    const c = await OvsdbClient.connect(sb!.dbEndpoint, { reconnectMinMs: 20, reconnectMaxMs: 50 });
    try {
      expect(await c.lock('nsvs_relock')).toBe(true);
      const relocked = firstValueFrom(c.lockEvents$);
      c.dropConnection('test: lock holder loses its connection');
      expect(await relocked).toEqual({ kind: 'locked', lock: 'nsvs_relock' });
      await c.transact(DB, [{ op: 'assert', lock: 'nsvs_relock' }]);
    } finally {
      await c.close();
    }
  });

  it('monitor_cancel stops a monitor: updates$ completes and later changes are not applied', async () => {
    const m = await client!.monitor(DB, { Bridge: { columns: ['name'] } });
    expect([...m.rows().get('Bridge')!.values()].map((r) => r.name)).toEqual(['br0']);
    const all = firstValueFrom(m.updates$.pipe(toArray()));
    await m.cancel();
    await all;
    await sb!.vsctl('--no-wait', 'add-br', 'br-after-cancel');
    await client!.echo();
    expect(m.rows().get('Bridge')!.size).toBe(1);
    await sb!.vsctl('--no-wait', 'del-br', 'br-after-cancel');
  });

  it('fails requests after close() with OvsdbDisconnectedError instead of hanging', async () => {
    const c = await OvsdbClient.connect(sb!.dbEndpoint);
    const blocked = c.transact(DB, [{ op: 'wait', table: 'Bridge', where: [cond('name', '==', 'br0')], columns: ['name'], until: '==', rows: [] }]);
    await c.close();
    await expect(blocked).rejects.toBeInstanceOf(OvsdbDisconnectedError);
    await expect(c.echo()).rejects.toThrow(/client closed/);
  });
});
