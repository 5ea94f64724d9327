import { NsvswitchError } from '../../errors/nsvswitch-error.js';

/** A container runtime's API could not be used: unreachable, slow, too large or malformed an answer. */
export class RuntimeApiError extends NsvswitchError {
  readonly runtime: string;
  /** Short fixed label: unreachable, timeout, too-large, status, malformed, unimplemented (a CRI method the runtime lacks). */
  readonly kind: 'unreachable' | 'timeout' | 'too-large' | 'status' | 'malformed' | 'unimplemented';
  /** The API path asked for (no query values from outside). */
  readonly path: string;

  constructor(runtime: string, kind: RuntimeApiError['kind'], path: string, message: string, options?: { cause?: unknown }) {
    super(`${runtime} API ${path}: ${message}`, options);
    this.runtime = runtime;
    this.kind = kind;
    this.path = path;
  }
}
