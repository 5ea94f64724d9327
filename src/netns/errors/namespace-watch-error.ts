import { NsvswitchError } from '../../errors/nsvswitch-error.js';

/** inotify on a namespace directory failed; periodic rescans cover the gap until the watch is back. */
export class NamespaceWatchError extends NsvswitchError {
  readonly dir: string;
  readonly code: string;

  constructor(dir: string, code: string, options?: { cause?: unknown }) {
    super(`Watching namespace directory ${dir} failed (${code}); rescanning and re-arming the watch with backoff`, options);
    this.dir = dir;
    this.code = code;
  }
}
