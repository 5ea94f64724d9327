import { OvsdbError } from './ovsdb-error.js';

/** The caller aborted a request (AbortSignal); a JSON-RPC cancel was sent for it. */
export class OvsdbCanceledError extends OvsdbError {
  readonly endpoint: string;
  readonly method: string;
  constructor(endpoint: string, method: string, options?: { cause?: unknown }) {
    super(`OVSDB ${method} to ${endpoint} was canceled`, options);
    this.endpoint = endpoint;
    this.method = method;
  }
}
