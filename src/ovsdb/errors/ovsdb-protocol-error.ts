import { OvsdbError } from './ovsdb-error.js';

/** The server sent bytes that are not a valid JSON-RPC message; the connection is dropped. */
export class OvsdbProtocolError extends OvsdbError {
  readonly endpoint: string;
  constructor(endpoint: string, reason: string, options?: { cause?: unknown }) {
    super(`OVSDB protocol error from ${endpoint}: ${reason}`, options);
    this.endpoint = endpoint;
  }
}
