import { NsvswitchError } from '../errors/nsvswitch-error.js';

/** A manifest directory or file given to the loader cannot be read (missing, no permission…). */
export class ManifestPathError extends NsvswitchError {
  readonly path: string;
  readonly code: string;

  constructor(path: string, code: string, options?: { cause?: unknown }) {
    super(`Cannot read manifest path ${path}: ${code}`, options);
    this.path = path;
    this.code = code;
  }
}
