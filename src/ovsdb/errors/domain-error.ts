import { OvsdbOpError } from './ovsdb-op-error.js';

/** OVSDB "domain error": a mutation is undefined for its operands (e.g. division by zero). */
export class OvsdbDomainError extends OvsdbOpError {}
