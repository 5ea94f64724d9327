import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OvsdbMonitor, type MonitorHost } from '../../../src/ovsdb/client/ovsdb-monitor.js';
import type { Row } from '../../../src/ovsdb/data/row-types.js';
import { OvsdbProtocolError } from '../../../src/ovsdb/errors/ovsdb-protocol-error.js';
import type { RpcConnection } from '../../../src/ovsdb/rpc/rpc-connection.js';
import { parseDbSchema } from '../../../src/ovsdb/schema/db-schema.js';
import { FrameScanner, DEFAULT_MAX_DEPTH } from '../../../src/ovsdb/wire/frame-scanner.js';
import { parseFrame, stringifyJson } from '../../../src/ovsdb/wire/json-codec.js';
import { isUuid } from '../../../src/ovsdb/wire/uuid.js';
import { ZERO_UUID } from '../../../src/ovsdb/wire/wire-types.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { recordedVswitchSchema } from './fixtures/recorded.js';

const schema = parseDbSchema(recordedVswitchSchema());
const U1 = '11111111-1111-4111-8111-111111111111';
const T1 = 'aaaaaaaa-1111-4111-8111-111111111111';
const TABLES = { Interface: { columns: ['name', 'external_ids', 'statistics', 'ofport'] }, Bridge: { columns: ['name', 'ports', 'fail_mode'] } };

// Hostile shapes: prototype keys, atoms posing as uuids, sets and maps of anything, integers far beyond int64, non-finite reals.
const key = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'rx_packets', 'uuid', 'set', 'map', 'initial', 'insert', 'modify', 'delete'), fc.string({ maxLength: 6 }));
const leaf = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('__proto__', 'uuid', 'set', 'map', 'named-uuid', ZERO_UUID, U1, 'secure'),
  fc.integer(),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, tie('node')),
  node: fc.oneof(
    fc.array(tie('value'), { maxLength: 4 }),
    fc.tuple(fc.constant('uuid'), tie('value')),
    fc.tuple(fc.constant('set'), fc.array(tie('value'), { maxLength: 4 })),
    fc.tuple(fc.constant('map'), fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 4 })),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
}));
/** Mostly right, then wrong: each column gets values of its type with hostile keys and atoms mixed in. */
const nearly = <T>(right: fc.Arbitrary<T>) => fc.oneof({ arbitrary: right, weight: 12 }, { arbitrary: value, weight: 1 });
const columns = fc.record(
  {
    name: nearly(fc.string({ maxLength: 8 })),
    external_ids: nearly(fc.tuple(fc.constant('map'), fc.array(fc.tuple(nearly(key), nearly(fc.string({ maxLength: 6 }))), { maxLength: 4 }))),
    statistics: nearly(fc.tuple(fc.constant('map'), fc.array(fc.tuple(key, nearly(fc.oneof(fc.integer(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })))), { maxLength: 4 }))),
    ofport: nearly(fc.oneof(fc.integer(), fc.constant(['set', []]))),
    ports: nearly(fc.tuple(fc.constant('set'), fc.array(nearly(fc.tuple(fc.constant('uuid'), fc.uuid())), { maxLength: 3 }))),
    fail_mode: nearly(fc.constantFrom('secure', 'standalone')),
    ['__proto__']: value,
  },
  { requiredKeys: [] },
);
/** A row update: mostly well-formed envelopes with hostile column values, sometimes anything at all. */
const rowUpdate = fc.oneof(
  { arbitrary: fc.record({ insert: columns }), weight: 4 },
  { arbitrary: fc.record({ modify: columns }), weight: 3 },
  { arbitrary: fc.constant({ delete: null }), weight: 1 },
  { arbitrary: value, weight: 1 },
);
const rowId = fc.oneof({ arbitrary: fc.constantFrom(U1, T1), weight: 4 }, { arbitrary: fc.uuid(), weight: 2 }, { arbitrary: fc.constantFrom('__proto__', 'constructor', 'x'), weight: 1 });
const tableUpdates = fc.dictionary(
  fc.constantFrom('Interface', 'Bridge', '__proto__', 'Nope'),
  fc.oneof({ arbitrary: fc.dictionary(rowId, rowUpdate, { maxKeys: 3 }), weight: 5 }, { arbitrary: value, weight: 1 }),
  { maxKeys: 3 },
);

const host: MonitorHost = { endpoint: 'fuzz', logger: silentLogger(), currentConnection: () => undefined, forget: () => undefined };
const answering = (reply: unknown) => ({ request: () => Promise.resolve(reply) }) as unknown as RpcConnection;

function isAtomOf(type: 'string' | 'integer' | 'uuid', x: unknown): boolean {
  if (type === 'string') return typeof x === 'string';
  if (type === 'uuid') return isUuid(x);
  return (typeof x === 'number' && Number.isSafeInteger(x)) || (typeof x === 'bigint' && x >= -(2n ** 63n) && x < 2n ** 63n);
}

/** Every row the monitor holds has the schema's shape: nothing hostile got through. */
function checkRows(m: OvsdbMonitor): void {
  for (const [table, rows] of m.rows()) {
    for (const [id, row] of rows) {
      expect(isUuid(id)).toBe(true);
      expect(Object.getPrototypeOf(row)).toBeNull();
      const r = row as Row & Record<string, unknown>;
      if (table === 'Interface') {
        expect(typeof r.name).toBe('string');
        for (const col of ['external_ids', 'statistics'] as const) {
          const map = r[col] as Record<string, unknown>;
          expect(Object.getPrototypeOf(map)).toBeNull();
          for (const v of Object.values(map)) expect(isAtomOf(col === 'statistics' ? 'integer' : 'string', v)).toBe(true);
        }
        expect(r.ofport === undefined || isAtomOf('integer', r.ofport)).toBe(true);
      } else {
        expect(typeof r.name).toBe('string');
        expect((r.ports as unknown[]).every((p) => isAtomOf('uuid', p))).toBe(true);
        expect(r.fail_mode === undefined || typeof r.fail_mode === 'string').toBe(true);
      }
    }
  }
}

describe('property: hostile server bytes through the frame scanner, the JSON codec and the monitor', () => {
  it('never throw anything but a protocol error, never pollute a prototype, and leave only well-typed rows', async () => {
    const protoKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    const rssBefore = process.memoryUsage().rss;
    const t0 = performance.now();
    await fc.assert(
      fc.asyncProperty(fc.array(tableUpdates, { minLength: 1, maxLength: 4 }), fc.oneof(fc.constant(T1), leaf), fc.nat({ max: 200 }), fc.nat({ max: 5 }), async (updates, txnId, nesting, splits) => {
        const m = new OvsdbMonitor(host, 'm', 'Open_vSwitch', schema, TABLES);
        await m.establish(answering([false, ZERO_UUID, {}]), false);
        const text = updates
          .map((u, i) => {
            const body = stringifyJson({ id: null, method: 'update3', params: ['m', txnId, u] });
            // Sometimes the last message wrapped in more nesting than any real server sends.
            return nesting > 0 && i === updates.length - 1 ? `{"id":null,"method":"update3","params":${'['.repeat(nesting)}${body}${']'.repeat(nesting)}}` : body;
          })
          .join('');
        const bytes = Buffer.from(text);
        const scanner = new FrameScanner('fuzz', 1 << 20);
        let refused: unknown;
        try {
          const step = Math.max(1, Math.ceil(bytes.length / (splits + 1)));
          for (let i = 0; i < bytes.length; i += step) {
            for (const frame of scanner.pushAll(bytes.subarray(i, i + step))) {
              const msg = parseFrame(frame) as { params: unknown[] };
              if (Array.isArray(msg.params) && msg.params.length === 3) m.onNotification('update3', msg.params);
            }
          }
        } catch (err) {
          refused = err;
        }
        if (refused !== undefined) {
          // Only too-deep nesting is refused, and only as a protocol error.
          expect(refused).toBeInstanceOf(OvsdbProtocolError);
          expect(String(refused)).toMatch(new RegExp(`deeper than ${DEFAULT_MAX_DEPTH}`));
        }
        expect(m.lastTxnId === undefined || isUuid(m.lastTxnId)).toBe(true);
        checkRows(m);
        expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoKeys);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 400, seed: 0x5eed },
    );
    // Bounded in time and memory (the whole run, on a shared 2-core machine).
    expect(performance.now() - t0).toBeLessThan(30_000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(300 * 1024 * 1024);
  }, 60_000);

  it('refuses a 2 MB message nested a million levels deep at byte 65, in linear time and without buffering it', () => {
    const depth = 1_000_000;
    const bytes = Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    const scanner = new FrameScanner('fuzz', 64 * 1024 * 1024);
    const rssBefore = process.memoryUsage().rss;
    const t0 = performance.now();
    const frames: unknown[] = [];
    expect(() => scanner.push(bytes, (f) => frames.push(parseFrame(f)))).toThrow(/nested deeper than 64 levels/);
    expect(frames).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(50 * 1024 * 1024);
  });

  it('accepts nesting up to the limit', () => {
    const v = `${'['.repeat(DEFAULT_MAX_DEPTH)}${']'.repeat(DEFAULT_MAX_DEPTH)}`;
    expect(new FrameScanner('t', 1 << 20).pushAll(Buffer.from(v)).map((f) => f.text)).toEqual([v]);
    expect(() => new FrameScanner('t', 1 << 20).pushAll(Buffer.from(`[${v}]`))).toThrow(OvsdbProtocolError);
  });
});
