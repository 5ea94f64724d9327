import type { Operation, OperationResult } from '../wire/wire-types.js';
import { OvsdbError } from './ovsdb-error.js';

/** RFC 7047 §4.1.3 error strings (plus ovsdb-server's own "unknown column"). */
export const OP_ERROR_KINDS = [
  'referential integrity violation', 'constraint violation', 'resources exhausted', 'I/O error', 'duplicate uuid-name',
  'duplicate uuid', 'domain error', 'range error', 'timed out', 'not supported', 'aborted', 'not owner', 'syntax error',
  'permission error', 'internal error', 'unknown column',
] as const;
export type OvsdbOpErrorKind = (typeof OP_ERROR_KINDS)[number] | 'unknown';
const KNOWN: ReadonlySet<string> = new Set(OP_ERROR_KINDS);

/**
 * A transact reply carried an error for one operation (or for the commit, when
 * opIndex === ops.length). One class: the kinds carry no distinct behaviour, so
 * they are told apart by `kind` (the RFC 7047 string, or "unknown" for one
 * the RFC does not name; `error` keeps the server's string as sent).
 */
export class OvsdbOpError extends OvsdbError {
  /** The error string as the server sent it, e.g. "constraint violation". */
  readonly error: string;
  /** `error` when the RFC names it, else "unknown". */
  readonly kind: OvsdbOpErrorKind;
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
    this.kind = KNOWN.has(init.error) ? (init.error as OvsdbOpErrorKind) : 'unknown';
    this.details = init.details;
    this.db = init.db;
    this.opIndex = init.opIndex;
    this.op = init.op;
    this.results = init.results;
  }

  /** True when this is an op error of that kind (`kind` narrows what callers test for). */
  static is(err: unknown, kind: OvsdbOpErrorKind): err is OvsdbOpError {
    return err instanceof OvsdbOpError && err.kind === kind;
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
