import { OvsdbOpError } from './ovsdb-op-error.js';

/** OVSDB "aborted": the transaction contained an abort operation. */
export class OvsdbAbortedError extends OvsdbOpError {}
