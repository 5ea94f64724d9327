import { OvsdbError } from './ovsdb-error.js';

/** The first connection to ovsdb-server could not be made in time. */
export class OvsdbConnectError extends OvsdbError {
  readonly endpoint: string;
  constructor(endpoint: string, reason: string, options?: { cause?: unknown }) {
    super(`Cannot connect to OVSDB at ${endpoint}: ${reason}`, options);
    this.endpoint = endpoint;
  }
}
