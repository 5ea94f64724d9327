import { describe, expect, it } from 'vitest';
import { opErrorFromResults } from '../../../../src/ovsdb/errors/op-error-from-result.js';
import { OP_ERROR_KINDS, OvsdbOpError } from '../../../../src/ovsdb/errors/ovsdb-op-error.js';
import { NsvswitchError } from '../../../../src/errors/nsvswitch-error.js';
import type { Operation } from '../../../../src/ovsdb/wire/wire-types.js';

const ops: Operation[] = [
  { op: 'insert', table: 'Bridge', row: { name: 'br0' } },
  { op: 'update', table: 'Bridge', where: [['name', '==', 'br0']], row: { fail_mode: 'secure' } },
  { op: 'comment', comment: 'x' },
];

describe('opErrorFromResults', () => {
  it('tells every RFC 7047 error string apart by kind, one class (an OvsdbOpError and an NsvswitchError)', () => {
    const rfc = ['referential integrity violation', 'constraint violation', 'resources exhausted', 'I/O error', 'duplicate uuid-name',
      'duplicate uuid', 'domain error', 'range error', 'timed out', 'not supported', 'aborted', 'not owner', 'syntax error',
      'permission error', 'internal error'];
    for (const e of rfc) {
      expect(OP_ERROR_KINDS, e).toContain(e);
      const err = opErrorFromResults('Open_vSwitch', ops, [{ error: e, details: 'd' }, null, null])!;
      expect(err).toBeInstanceOf(OvsdbOpError);
      expect(err).toBeInstanceOf(NsvswitchError);
      expect(err.name).toBe('OvsdbOpError');
      expect(err.kind).toBe(e);
      expect(OvsdbOpError.is(err, e as (typeof OP_ERROR_KINDS)[number])).toBe(true);
      expect(OvsdbOpError.is(err, e === 'aborted' ? 'timed out' : 'aborted')).toBe(false);
    }
  });

  it('finds the failing op (the ops after it are null) and names it in the message', () => {
    const err = opErrorFromResults('Open_vSwitch', ops, [{ uuid: ['uuid', 'u'] }, { error: 'constraint violation', details: 'fail_mode bad' }, null]);
    expect(err).toMatchObject({ kind: 'constraint violation' });
    expect(err).toMatchObject({ opIndex: 1, details: 'fail_mode bad', db: 'Open_vSwitch', error: 'constraint violation', atCommit: false });
    expect(err!.op).toBe(ops[1]);
    expect(err!.message).toBe('OVSDB transaction on Open_vSwitch failed at op 1 (update Bridge): constraint violation: fail_mode bad');
  });

  it('reports a commit-time error (one extra result) with opIndex = ops.length', () => {
    const err = opErrorFromResults('Open_vSwitch', ops, [{ uuid: ['uuid', 'u'] }, { count: 1 }, {}, { error: 'referential integrity violation', details: 'x' }]);
    expect(err).toMatchObject({ kind: 'referential integrity violation' });
    expect(err).toMatchObject({ opIndex: 3, atCommit: true });
    expect(err!.message).toContain('failed at commit (after 3 ops)');
  });

  it('keeps unknown error strings, and returns undefined when all ops succeeded', () => {
    const err = opErrorFromResults('db', ops, [{ error: 'something new' }, null, null]);
    expect(err).toMatchObject({ kind: 'unknown' });
    expect(err!.error).toBe('something new');
    expect(opErrorFromResults('db', ops, [{}, { count: 0 }, {}])).toBeUndefined();
  });
});
