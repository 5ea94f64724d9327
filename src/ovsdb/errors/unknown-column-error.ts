import { OvsdbOpError } from './ovsdb-op-error.js';

/** OVSDB "unknown column" (ovsdb-server's own string): an op names a column its table does not have. */
export class OvsdbUnknownColumnError extends OvsdbOpError {}
