import { OvsdbOpError } from './ovsdb-op-error.js';

/** OVSDB "range error": a mutation result is out of range (integer overflow). */
export class OvsdbRangeError extends OvsdbOpError {}
