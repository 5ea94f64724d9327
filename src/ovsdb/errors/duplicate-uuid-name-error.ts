import { OvsdbOpError } from './ovsdb-op-error.js';

/** OVSDB "duplicate uuid-name": two inserts in one transaction share a uuid-name. */
export class OvsdbDuplicateUuidNameError extends OvsdbOpError {}
