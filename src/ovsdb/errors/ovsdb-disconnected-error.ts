import { OvsdbError } from './ovsdb-error.js';

/**
 * A request could not complete because the connection to ovsdb-server is
 * down, was lost, or the client was closed. `sent` says whether the request
 * went out: false means the server never saw it (safe to retry); true means
 * it was cut in flight and may have been committed (check before retrying).
 */
export class OvsdbDisconnectedError extends OvsdbError {
  readonly endpoint: string;
  readonly method: string;
  readonly sent: boolean;
  constructor(endpoint: string, method: string, reason: string, options?: { cause?: unknown; sent?: boolean }) {
    const sent = options?.sent ?? false;
    super(`OVSDB ${method} to ${endpoint} failed: ${reason}; ${sent ? 'the request was sent, its outcome is unknown' : 'the request was not sent'}`, options);
    this.endpoint = endpoint;
    this.method = method;
    this.sent = sent;
  }
}
