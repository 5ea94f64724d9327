import { OvsdbError } from './ovsdb-error.js';

/** A request could not complete because the connection to ovsdb-server is down, was lost, or the client was closed. */
export class OvsdbDisconnectedError extends OvsdbError {
  readonly endpoint: string;
  readonly method: string;
  constructor(endpoint: string, method: string, reason: string, options?: { cause?: unknown }) {
    super(`OVSDB ${method} to ${endpoint} failed: ${reason}`, options);
    this.endpoint = endpoint;
    this.method = method;
  }
}
