import { NsvswitchError } from '../errors/nsvswitch-error.js';

/**
 * A manifest directory or file given to the loader cannot be used: missing, no permission (an errno
 * `code`), or refused before reading (EINSECURE: writable by others; ETOOBIG: over the size limit),
 * with the sentence in `reason`.
 */
export class ManifestPathError extends NsvswitchError {
  readonly path: string;
  readonly code: string;
  readonly reason: string | undefined;

  constructor(path: string, code: string, options?: { cause?: unknown; reason?: string }) {
    super(options?.reason ?? `Cannot read manifest path ${path}: ${code}`, options);
    this.path = path;
    this.code = code;
    this.reason = options?.reason;
  }
}
