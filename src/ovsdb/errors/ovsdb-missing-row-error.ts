import { OvsdbError } from './ovsdb-error.js';

/** A row the caller relies on is not in the replica (e.g. the Open_vSwitch root row before `ovs-vsctl init`). */
export class OvsdbMissingRowError extends OvsdbError {
  readonly table: string;
  constructor(table: string, what: string) {
    super(`OVSDB table ${table}: ${what}`);
    this.table = table;
  }
}
