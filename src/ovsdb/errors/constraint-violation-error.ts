import { OvsdbOpError } from './ovsdb-op-error.js';

/** OVSDB "constraint violation": a value breaks a column constraint, an index is duplicated, or maxRows is exceeded. */
export class OvsdbConstraintViolationError extends OvsdbOpError {}
