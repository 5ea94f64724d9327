import { OvsdbOpError } from './ovsdb-op-error.js';

/** OVSDB "internal error": the server hit a bug. */
export class OvsdbInternalError extends OvsdbOpError {}
