import { OvsdbError } from './ovsdb-error.js';

/** A value from the server does not fit its column's type (a lying or broken server); the row is skipped. */
export class OvsdbDatumError extends OvsdbError {
  /** Column (or "row") the value was for, when known. */
  readonly column: string | undefined;
  constructor(reason: string, column?: string) {
    super(column === undefined ? `bad OVSDB value: ${reason}` : `bad OVSDB value in column ${column}: ${reason}`);
    this.column = column;
  }
}
