import { OvsdbOpError } from './ovsdb-op-error.js';

/** OVSDB "resources exhausted": the server ran out of memory or another resource. */
export class OvsdbResourcesExhaustedError extends OvsdbOpError {}
