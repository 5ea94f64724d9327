import { OvsdbError } from './ovsdb-error.js';

/** ovsdb-server did not answer a request within the client's request timeout. */
export class OvsdbRequestTimeoutError extends OvsdbError {
  readonly endpoint: string;
  readonly method: string;
  readonly timeoutMs: number;
  constructor(endpoint: string, method: string, timeoutMs: number) {
    super(`OVSDB ${method} to ${endpoint} got no reply within ${timeoutMs} ms`);
    this.endpoint = endpoint;
    this.method = method;
    this.timeoutMs = timeoutMs;
  }
}
