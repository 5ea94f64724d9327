import { OvsdbOpError } from './ovsdb-op-error.js';

/** OVSDB "duplicate uuid": an insert with an explicit uuid names a row that exists. */
export class OvsdbDuplicateUuidError extends OvsdbOpError {}
