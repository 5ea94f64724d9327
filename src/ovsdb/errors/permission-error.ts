import { OvsdbOpError } from './ovsdb-op-error.js';

/** OVSDB "permission error": role-based access control refused the operation. */
export class OvsdbPermissionError extends OvsdbOpError {}
