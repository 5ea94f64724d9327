import { OvsdbOpError } from './ovsdb-op-error.js';

/** OVSDB "not owner": an assert operation names a lock this client does not hold. */
export class OvsdbNotOwnerError extends OvsdbOpError {}
