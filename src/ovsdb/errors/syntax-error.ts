import { OvsdbOpError } from './ovsdb-op-error.js';

/** OVSDB "syntax error": the server could not parse an operation (unknown table or column, bad value). */
export class OvsdbSyntaxError extends OvsdbOpError {}
