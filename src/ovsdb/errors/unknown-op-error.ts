import { OvsdbOpError } from './ovsdb-op-error.js';

/** OVSDB "(any other error string)": an error string this client has no class for; .error holds it. */
export class OvsdbUnknownOpError extends OvsdbOpError {}
