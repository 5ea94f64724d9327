import { OvsdbOpError } from './ovsdb-op-error.js';

/** OVSDB "referential integrity violation": a strong reference points to a missing row, or a row is deleted while referenced. */
export class OvsdbReferentialIntegrityViolationError extends OvsdbOpError {}
