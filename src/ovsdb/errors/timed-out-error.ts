import { OvsdbOpError } from './ovsdb-op-error.js';

/** OVSDB "timed out": a wait operation did not see its condition within its timeout. */
export class OvsdbTimedOutError extends OvsdbOpError {}
