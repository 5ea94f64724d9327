import type { Operation, OperationResult } from '../wire/wire-types.js';
import { OvsdbAbortedError } from './aborted-error.js';
import { OvsdbConstraintViolationError } from './constraint-violation-error.js';
import { OvsdbDomainError } from './domain-error.js';
import { OvsdbDuplicateUuidError } from './duplicate-uuid-error.js';
import { OvsdbDuplicateUuidNameError } from './duplicate-uuid-name-error.js';
import { OvsdbInternalError } from './internal-error.js';
import { OvsdbIoError } from './io-error.js';
import { OvsdbNotOwnerError } from './not-owner-error.js';
import { OvsdbNotSupportedError } from './not-supported-error.js';
import type { OvsdbOpError } from './ovsdb-op-error.js';
import { OvsdbPermissionError } from './permission-error.js';
import { OvsdbRangeError } from './range-error.js';
import { OvsdbReferentialIntegrityViolationError } from './referential-integrity-violation-error.js';
import { OvsdbResourcesExhaustedError } from './resources-exhausted-error.js';
import { OvsdbSyntaxError } from './syntax-error.js';
import { OvsdbTimedOutError } from './timed-out-error.js';
import { OvsdbUnknownColumnError } from './unknown-column-error.js';
import { OvsdbUnknownOpError } from './unknown-op-error.js';

type OpErrorClass = new (init: ConstructorParameters<typeof OvsdbOpError>[0]) => OvsdbOpError;

/** RFC 7047 §4.1.3 error strings (plus ovsdb-server's own) → their classes. */
export const OP_ERROR_CLASSES: ReadonlyMap<string, OpErrorClass> = new Map<string, OpErrorClass>([
  ['referential integrity violation', OvsdbReferentialIntegrityViolationError],
  ['constraint violation', OvsdbConstraintViolationError],
  ['resources exhausted', OvsdbResourcesExhaustedError],
  ['I/O error', OvsdbIoError],
  ['duplicate uuid-name', OvsdbDuplicateUuidNameError],
  ['duplicate uuid', OvsdbDuplicateUuidError],
  ['domain error', OvsdbDomainError],
  ['range error', OvsdbRangeError],
  ['timed out', OvsdbTimedOutError],
  ['not supported', OvsdbNotSupportedError],
  ['aborted', OvsdbAbortedError],
  ['not owner', OvsdbNotOwnerError],
  ['syntax error', OvsdbSyntaxError],
  ['permission error', OvsdbPermissionError],
  ['internal error', OvsdbInternalError],
  ['unknown column', OvsdbUnknownColumnError],
]);

/**
 * Finds the first error in a transact reply and builds its typed error, or
 * returns undefined when every op succeeded. The ops after an error are null.
 */
export function opErrorFromResults(db: string, ops: readonly Operation[], results: readonly (OperationResult | null)[]): OvsdbOpError | undefined {
  for (const [i, r] of results.entries()) {
    if (r === null || typeof r !== 'object' || r.error === undefined) continue;
    const Cls = OP_ERROR_CLASSES.get(r.error) ?? OvsdbUnknownOpError;
    return new Cls({ error: r.error, details: r.details, db, opIndex: i, op: ops[i], results });
  }
  return undefined;
}
