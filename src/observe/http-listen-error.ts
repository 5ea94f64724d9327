import { NsvswitchError } from '../errors/nsvswitch-error.js';

/** The metrics/health HTTP endpoint could not listen (bad address, port in use). */
export class HttpListenError extends NsvswitchError {
  readonly listen: string;

  constructor(listen: string, reason: string, options?: { cause?: unknown }) {
    super(`cannot serve /metrics on ${listen}: ${reason}`, options);
    this.listen = listen;
  }
}
