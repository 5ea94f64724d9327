import { NsvswitchError } from '../../errors/nsvswitch-error.js';

/** A watched namespace directory exists but cannot be listed (retried with backoff). */
export class NamespaceDirUnreadableError extends NsvswitchError {
  readonly dir: string;
  readonly code: string;

  constructor(dir: string, code: string, detail: string) {
    super(`Namespace directory ${dir} cannot be read (${code}): ${detail}; retrying with backoff`);
    this.dir = dir;
    this.code = code;
  }
}
