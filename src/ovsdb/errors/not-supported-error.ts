import { OvsdbOpError } from './ovsdb-op-error.js';

/** OVSDB "not supported": the server does not support the operation (e.g. a durable commit). */
export class OvsdbNotSupportedError extends OvsdbOpError {}
