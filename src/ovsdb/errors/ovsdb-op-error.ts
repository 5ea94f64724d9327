import type { Operation, OperationResult } from '../wire/wire-types.js';
import { OvsdbError } from './ovsdb-error.js';

/**
 * A transact reply carried an error for one operation (or for the commit, when
 * opIndex === ops.length). Every RFC 7047 error string has its own subclass.
 */
export class OvsdbOpError extends OvsdbError {
  /** The RFC 7047 error string, e.g. "constraint violation". */
  readonly error: string;
  readonly details: string | undefined;
  readonly db: string;
  /** Index of the failing op in the transaction; ops.length means the commit failed. */
  readonly opIndex: number;
  /** The failing op, or undefined when the commit failed. */
  readonly op: Operation | undefined;
  /** The whole reply (entries after the error are null). */
  readonly results: readonly (OperationResult | null)[];

  constructor(init: { error: string; details: string | undefined; db: string; opIndex: number; op: Operation | undefined; results: readonly (OperationResult | null)[] }) {
    const what = init.op ? `op ${init.opIndex} (${describeOp(init.op)})` : `commit (after ${init.opIndex} ops)`;
    super(`OVSDB transaction on ${init.db} failed at ${what}: ${init.error}${init.details ? `: ${init.details}` : ''}`);
    this.error = init.error;
    this.details = init.details;
    this.db = init.db;
    this.opIndex = init.opIndex;
    this.op = init.op;
    this.results = init.results;
  }

  /** True when the error is about the whole transaction at commit time, not one op. */
  get atCommit(): boolean {
    return this.op === undefined;
  }
}

function describeOp(op: Operation): string {
  if ('table' in op) return `${op.op} ${op.table}`;
  return op.op;
}
