import { OvsdbOpError } from './ovsdb-op-error.js';

/** OVSDB "I/O error": the server could not write the database to disk. */
export class OvsdbIoError extends OvsdbOpError {}
