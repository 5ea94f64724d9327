import { describe, expect, it } from 'vitest';
import { OvsdbMonitor, type MonitorHost } from '../../../../src/ovsdb/client/ovsdb-monitor.js';
import type { MonitorUpdate } from '../../../../src/ovsdb/contract.js';
import { decodeRow } from '../../../../src/ovsdb/data/datum-codec.js';
import { OvsdbRpcError } from '../../../../src/ovsdb/errors/ovsdb-rpc-error.js';
import type { RpcConnection } from '../../../../src/ovsdb/rpc/rpc-connection.js';
import { parseDbSchema, tableSchema } from '../../../../src/ovsdb/schema/db-schema.js';
import { silentLogger } from '../../../../src/observe/logger.js';
import type { WireRow } from '../../../../src/ovsdb/wire/wire-types.js';
import { recordedMessages, recordedMeta, recordedVswitchSchema } from '../fixtures/recorded.js';

const schema = parseDbSchema(recordedVswitchSchema());
// The tables and columns the small recording monitored.
const TABLES = { Bridge: { columns: ['name', 'external_ids', 'other_config', 'fail_mode'] }, Open_vSwitch: { columns: ['next_cfg', 'bridges'] } };

const host: MonitorHost = { endpoint: 'test', logger: silentLogger(), currentConnection: () => undefined, forget: () => undefined };

/** A connection stand-in that answers monitor requests from a script (pure protocol logic under test, no socket). */
function scriptedConnection(answers: Record<string, unknown>, calls: { method: string; params: readonly unknown[] }[] = []): RpcConnection {
  return {
    request: (method: string, params: readonly unknown[]) => {
      calls.push({ method, params });
      const a = answers[method];
      return a instanceof Error ? Promise.reject(a) : a === undefined ? Promise.reject(new OvsdbRpcError('test', method, 'unknown method', undefined)) : Promise.resolve(a);
    },
  } as unknown as RpcConnection;
}

describe('OvsdbMonitor replaying real ovsdb-server traffic', () => {
  const msgs = recordedMessages('small');
  const reply = msgs.find((m) => m.id === 2)!.result;
  const notes = msgs.filter((m) => m.method === 'update3');
  const selectRows = (msgs.find((m) => m.id === 7)!.result as { rows: WireRow[] }[])[0]!.rows;

  it('ends with the rows the server itself returns for a select (initial + insert + modify diffs, defaults filled)', async () => {
    const m = new OvsdbMonitor(host, 'mon-1', 'Open_vSwitch', schema, TABLES);
    const seen: MonitorUpdate[] = [];
    m.updates$.subscribe((u) => seen.push(u));
    await m.establish(scriptedConnection({ monitor_cond_since: reply }), false);
    for (const n of notes) m.onNotification('update3', n.params as unknown[]);

    const bridges = [...m.rows().get('Bridge')!.values()];
    expect(bridges.length).toBe(1);
    const expected = decodeRow(tableSchema(schema, 'Bridge'), bridges[0]!._uuid, selectRows[0]!, ['name', 'external_ids']);
    expect(bridges[0]).toMatchObject(expected);
    expect(bridges[0]!.external_ids).toMatchObject({ tricky: recordedMeta('small').tricky });
    expect(bridges[0]).toMatchObject({ fail_mode: 'secure', other_config: { 'k{': 'v}"' } });
    const root = [...m.rows().get('Open_vSwitch')!.values()][0]!;
    expect(root.next_cfg).toBe(BigInt(recordedMeta('small').bigInteger));
    expect(root.bridges).toEqual([bridges[0]!._uuid]);
    expect(seen.map((u) => u.reset)).toEqual([true, false, false, false]);
    expect([...seen[1]!.changed.get('Bridge')!]).toEqual([bridges[0]!._uuid]);
  });

  it('keeps row and table identity for what an update does not touch', async () => {
    const m = new OvsdbMonitor(host, 'mon-1', 'Open_vSwitch', schema, TABLES);
    await m.establish(scriptedConnection({ monitor_cond_since: reply }), false);
    m.onNotification('update3', notes[0]!.params as unknown[]);
    const before = m.rows();
    m.onNotification('update3', notes[2]!.params as unknown[]); // touches Open_vSwitch only
    expect(m.rows().get('Bridge')).toBe(before.get('Bridge'));
    expect(m.rows().get('Open_vSwitch')).not.toBe(before.get('Open_vSwitch'));
  });

  it('applies updates that arrive before the monitor reply is processed after it, in order', async () => {
    const m = new OvsdbMonitor(host, 'mon-1', 'Open_vSwitch', schema, TABLES);
    let resolve!: (v: unknown) => void;
    const conn = { request: () => new Promise((r) => (resolve = r)) } as unknown as RpcConnection;
    const done = m.establish(conn, false);
    for (const n of notes) m.onNotification('update3', n.params as unknown[]);
    expect(m.rows().get('Bridge')!.size).toBe(0);
    resolve(reply);
    await done;
    expect([...m.rows().get('Bridge')!.values()][0]).toMatchObject({ fail_mode: 'secure' });
  });
});

describe('OvsdbMonitor resume and fallback', () => {
  const R1 = '11111111-1111-4111-8111-111111111111';
  const R2 = '22222222-2222-4222-8222-222222222222';
  const T1 = 'aaaaaaaa-1111-4111-8111-111111111111';
  const T2 = 'bbbbbbbb-1111-4111-8111-111111111111';
  const initial = { Bridge: { [R1]: { initial: { name: 'br1' } }, [R2]: { initial: { name: 'br2' } } } };

  it('resumes with the last txn id: found=true applies a delta, found=false rebuilds', async () => {
    const m = new OvsdbMonitor(host, 'm', 'Open_vSwitch', schema, { Bridge: { columns: ['name'] } });
    const calls: { method: string; params: readonly unknown[] }[] = [];
    await m.establish(scriptedConnection({ monitor_cond_since: [false, T1, initial] }, calls), false);
    expect(m.lastTxnId).toBe(T1);
    expect(calls[0]!.params[3]).toBe('00000000-0000-0000-0000-000000000000');

    const seen: MonitorUpdate[] = [];
    m.updates$.subscribe((u) => seen.push(u));
    await m.establish(scriptedConnection({ monitor_cond_since: [true, T2, { Bridge: { [R2]: { delete: null } } }] }, calls), true);
    expect(calls[1]!.params[3]).toBe(T1);
    expect([...m.rows().get('Bridge')!.keys()]).toEqual([R1]);
    expect(seen.at(-1)!.reset).toBe(false);

    await m.establish(scriptedConnection({ monitor_cond_since: [false, T1, { Bridge: { [R2]: { initial: { name: 'br2' } } } }] }, calls), true);
    expect(calls[2]!.params[3]).toBe(T2);
    expect([...m.rows().get('Bridge')!.keys()]).toEqual([R2]);
    expect(seen.at(-1)!.reset).toBe(true);
    expect(seen.at(-1)!.changed.get('Bridge')).toEqual(new Set([R1, R2]));
  });

  it('falls back to monitor_cond, then to monitor (v1 rows) when the server lacks the newer methods', async () => {
    const v1 = { Bridge: { [R1]: { new: { name: 'br1', fail_mode: ['set', []] } } } };
    const calls: { method: string; params: readonly unknown[] }[] = [];
    const m = new OvsdbMonitor(host, 'm', 'Open_vSwitch', schema, { Bridge: { columns: ['name', 'fail_mode'] } });
    await m.establish(scriptedConnection({ monitor: v1 }, calls), false);
    expect(calls.map((c) => c.method)).toEqual(['monitor_cond_since', 'monitor_cond', 'monitor']);
    expect(m.method).toBe('monitor');
    expect([...m.rows().get('Bridge')!.values()]).toEqual([{ _uuid: R1, name: 'br1', fail_mode: undefined }]);
    m.onNotification('update', ['m', { Bridge: { [R1]: { old: { fail_mode: ['set', []] }, new: { name: 'br1', fail_mode: 'secure' } } } }]);
    expect(m.rows().get('Bridge')!.get(R1)!.fail_mode).toBe('secure');
    m.onNotification('update', ['m', { Bridge: { [R1]: { old: { name: 'br1' } } } }]);
    expect(m.rows().get('Bridge')!.size).toBe(0);
  });

  it('passes other errors through', async () => {
    const m = new OvsdbMonitor(host, 'm', 'Open_vSwitch', schema, { Bridge: {} });
    await expect(m.establish(scriptedConnection({ monitor_cond_since: new OvsdbRpcError('t', 'monitor_cond_since', 'unknown database', 'x') }), false)).rejects.toThrow(/unknown database/);
  });
});
