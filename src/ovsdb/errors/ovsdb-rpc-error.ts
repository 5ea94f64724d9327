import { OvsdbError } from './ovsdb-error.js';

/** ovsdb-server answered a request with a JSON-RPC error (e.g. "unknown database", "unknown method", "canceled"). */
export class OvsdbRpcError extends OvsdbError {
  readonly endpoint: string;
  readonly method: string;
  /** The error string, e.g. "unknown database". */
  readonly error: string;
  readonly details: string | undefined;
  constructor(endpoint: string, method: string, error: string, details: string | undefined) {
    super(`OVSDB ${method} to ${endpoint} failed: ${error}${details ? `: ${details}` : ''}`);
    this.endpoint = endpoint;
    this.method = method;
    this.error = error;
    this.details = details;
  }
}
