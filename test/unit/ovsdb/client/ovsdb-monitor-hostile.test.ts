import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { OvsdbMonitor, type MonitorHost } from '../../../../src/ovsdb/client/ovsdb-monitor.js';
import type { OvsdbAnomalyKind } from '../../../../src/ovsdb/contract.js';
import { OvsdbRpcError } from '../../../../src/ovsdb/errors/ovsdb-rpc-error.js';
import type { RpcConnection } from '../../../../src/ovsdb/rpc/rpc-connection.js';
import { parseDbSchema } from '../../../../src/ovsdb/schema/db-schema.js';
import type { Logger } from '../../../../src/observe/logger.js';
import { ZERO_UUID } from '../../../../src/ovsdb/wire/wire-types.js';
import { recordedVswitchSchema } from '../fixtures/recorded.js';

const schema = parseDbSchema(recordedVswitchSchema());
const R1 = '11111111-1111-4111-8111-111111111111';
const R2 = '22222222-2222-4222-8222-222222222222';
const T1 = 'aaaaaaaa-1111-4111-8111-111111111111';

function hostWithLog(): { host: MonitorHost; warnings: string[]; anomalies: OvsdbAnomalyKind[] } {
  const warnings: string[] = [];
  const anomalies: OvsdbAnomalyKind[] = [];
  const stream = new Writable({ write: (c, _e, cb) => (warnings.push(String(c)), cb()) });
  const logger = pino({ level: 'warn' }, stream) as unknown as Logger;
  return { host: { endpoint: 'test', logger, currentConnection: () => undefined, forget: () => undefined, onAnomaly: (k) => anomalies.push(k) }, warnings, anomalies };
}

/** A connection stand-in that answers each monitor request with the next scripted answer (pure protocol logic, no socket). */
function scripted(answers: unknown[], calls: { method: string; params: readonly unknown[] }[] = []): RpcConnection {
  return {
    request: (method: string, params: readonly unknown[]) => {
      calls.push({ method, params });
      const a = answers.shift();
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
    },
  } as unknown as RpcConnection;
}

describe('OvsdbMonitor facing a lying server', () => {
  it('does not keep a last-txn-id that is not a uuid: the next resync asks from scratch (zero id)', async () => {
    const { host, warnings, anomalies } = hostWithLog();
    const m = new OvsdbMonitor(host, 'm', 'Open_vSwitch', schema, { Bridge: { columns: ['name'] } });
    const calls: { method: string; params: readonly unknown[] }[] = [];
    await m.establish(scripted([[false, T1, {}]], calls), false);
    expect(m.lastTxnId).toBe(T1);
    m.onNotification('update3', ['m', 'not-a-uuid', { Bridge: { [R1]: { insert: { name: 'br1' } } } }]);
    expect(m.lastTxnId).toBeUndefined();
    expect(m.rows().get('Bridge')!.get(R1)).toMatchObject({ name: 'br1' });
    await m.establish(scripted([[false, ZERO_UUID, {}]], calls), true);
    expect(calls[1]!.params[3]).toBe(ZERO_UUID);
    // A reply with a bad id is not kept either.
    await m.establish(scripted([[true, { evil: 1 }, {}]], calls), true);
    expect(m.lastTxnId).toBeUndefined();
    expect(anomalies).toEqual(['bad-txn-id', 'bad-txn-id']);
    expect(warnings.join('')).toMatch(/not a uuid/);
  });

  it('starts over from scratch when the server refuses to resume from our txn id, instead of failing every resync', async () => {
    const { host, warnings } = hostWithLog();
    const m = new OvsdbMonitor(host, 'm', 'Open_vSwitch', schema, { Bridge: { columns: ['name'] } });
    await m.establish(scripted([[false, T1, { Bridge: { [R1]: { initial: { name: 'br1' } } } }]]), false);
    const calls: { method: string; params: readonly unknown[] }[] = [];
    const refused = new OvsdbRpcError('test', 'monitor_cond_since', 'syntax error', 'last-txn-id must be UUID format.');
    await m.establish(scripted([refused, [false, ZERO_UUID, { Bridge: { [R2]: { initial: { name: 'br2' } } } }]], calls), true);
    expect(calls.map((c) => c.params[3])).toEqual([T1, ZERO_UUID]);
    expect([...m.rows().get('Bridge')!.keys()]).toEqual([R2]);
    expect(warnings.join('')).toMatch(/refused to resume/);
  });

  it('skips a row that does not fit the schema (logged once, counted each time) and applies the others', async () => {
    const { host, warnings, anomalies } = hostWithLog();
    const m = new OvsdbMonitor(host, 'm', 'Open_vSwitch', schema, { Bridge: { columns: ['name', 'external_ids'] } });
    const bad = { initial: { name: ['map', [['a', 'b']]] } };
    await m.establish(scripted([[false, T1, { Bridge: { [R1]: { initial: { name: 'br1' } }, [R2]: bad, nope: { initial: {} } } }]]), false);
    expect([...m.rows().get('Bridge')!.keys()]).toEqual([R1]);
    m.onNotification('update3', ['m', T1, { Bridge: { [R2]: { insert: { name: 5 } }, [R1]: { modify: { external_ids: ['map', [['k', 'v']]] } } } }]);
    m.onNotification('update3', ['m', T1, { Bridge: { [R1]: { modify: { name: { not: 'a string' } } } } }]);
    m.onNotification('update3', ['m', T1, { Bridge: { [R1]: null, [R2]: 7 } }]);
    const r1 = m.rows().get('Bridge')!.get(R1)!;
    // The bad modify was skipped: the row keeps its last good version.
    expect(r1.name).toBe('br1');
    expect({ ...(r1.external_ids as object) }).toEqual({ k: 'v' });
    expect(m.rows().get('Bridge')!.has(R2)).toBe(false);
    expect(anomalies.filter((k) => k === 'bad-row').length).toBe(6);
    const lines = warnings.filter((l) => l.includes('does not fit the schema'));
    // One line per bad row, not per update.
    expect(lines.length).toBe(3);
    expect(lines.join('')).toMatch(/"table":"Bridge"/);
  });
});
