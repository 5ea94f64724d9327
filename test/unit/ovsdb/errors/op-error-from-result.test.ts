import { describe, expect, it } from 'vitest';
import { OP_ERROR_CLASSES, opErrorFromResults } from '../../../../src/ovsdb/errors/op-error-from-result.js';
import { OvsdbOpError } from '../../../../src/ovsdb/errors/ovsdb-op-error.js';
import { OvsdbConstraintViolationError } from '../../../../src/ovsdb/errors/constraint-violation-error.js';
import { OvsdbReferentialIntegrityViolationError } from '../../../../src/ovsdb/errors/referential-integrity-violation-error.js';
import { OvsdbUnknownOpError } from '../../../../src/ovsdb/errors/unknown-op-error.js';
import { NsvswitchError } from '../../../../src/errors/nsvswitch-error.js';
import type { Operation } from '../../../../src/ovsdb/wire/wire-types.js';

const ops: Operation[] = [
  { op: 'insert', table: 'Bridge', row: { name: 'br0' } },
  { op: 'update', table: 'Bridge', where: [['name', '==', 'br0']], row: { fail_mode: 'secure' } },
  { op: 'comment', comment: 'x' },
];

describe('opErrorFromResults', () => {
  it('has one class per RFC 7047 error string, each an OvsdbOpError and an NsvswitchError', () => {
    const rfc = ['referential integrity violation', 'constraint violation', 'resources exhausted', 'I/O error', 'duplicate uuid-name',
      'domain error', 'range error', 'timed out', 'not supported', 'aborted', 'not owner'];
    const classes = new Set<unknown>();
    for (const e of rfc) {
      const Cls = OP_ERROR_CLASSES.get(e);
      expect(Cls, e).toBeDefined();
      classes.add(Cls);
      const err = opErrorFromResults('Open_vSwitch', ops, [{ error: e, details: 'd' }, null, null])!;
      expect(err).toBeInstanceOf(Cls!);
      expect(err).toBeInstanceOf(OvsdbOpError);
      expect(err).toBeInstanceOf(NsvswitchError);
      expect(err.name).toBe(Cls!.name);
    }
    expect(classes.size).toBe(rfc.length);
  });

  it('finds the failing op (the ops after it are null) and names it in the message', () => {
    const err = opErrorFromResults('Open_vSwitch', ops, [{ uuid: ['uuid', 'u'] }, { error: 'constraint violation', details: 'fail_mode bad' }, null]);
    expect(err).toBeInstanceOf(OvsdbConstraintViolationError);
    expect(err).toMatchObject({ opIndex: 1, details: 'fail_mode bad', db: 'Open_vSwitch', error: 'constraint violation', atCommit: false });
    expect(err!.op).toBe(ops[1]);
    expect(err!.message).toBe('OVSDB transaction on Open_vSwitch failed at op 1 (update Bridge): constraint violation: fail_mode bad');
  });

  it('reports a commit-time error (one extra result) with opIndex = ops.length', () => {
    const err = opErrorFromResults('Open_vSwitch', ops, [{ uuid: ['uuid', 'u'] }, { count: 1 }, {}, { error: 'referential integrity violation', details: 'x' }]);
    expect(err).toBeInstanceOf(OvsdbReferentialIntegrityViolationError);
    expect(err).toMatchObject({ opIndex: 3, atCommit: true });
    expect(err!.message).toContain('failed at commit (after 3 ops)');
  });

  it('keeps unknown error strings, and returns undefined when all ops succeeded', () => {
    const err = opErrorFromResults('db', ops, [{ error: 'something new' }, null, null]);
    expect(err).toBeInstanceOf(OvsdbUnknownOpError);
    expect(err!.error).toBe('something new');
    expect(opErrorFromResults('db', ops, [{}, { count: 0 }, {}])).toBeUndefined();
  });
});
