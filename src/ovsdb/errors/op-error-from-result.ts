import type { Operation, OperationResult } from '../wire/wire-types.js';
import { OvsdbOpError } from './ovsdb-op-error.js';

/**
 * Finds the first error in a transact reply and builds its error, or returns
 * undefined when every op succeeded. The ops after an error are null.
 */
export function opErrorFromResults(db: string, ops: readonly Operation[], results: readonly (OperationResult | null)[]): OvsdbOpError | undefined {
  for (const [i, r] of results.entries()) {
    if (r === null || typeof r !== 'object' || r.error === undefined) continue;
    return new OvsdbOpError({ error: r.error, details: r.details, db, opIndex: i, op: ops[i], results });
  }
  return undefined;
}
