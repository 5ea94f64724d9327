import { OvsdbError } from './ovsdb-error.js';

/** A schema could not be parsed, or lacks a table or column the caller named. */
export class OvsdbSchemaError extends OvsdbError {}
