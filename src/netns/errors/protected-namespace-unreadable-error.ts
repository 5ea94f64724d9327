import { NsvswitchError } from '../../errors/nsvswitch-error.js';

/**
 * The agent's own namespace (/proc/self/ns/net) or the configured host namespace could not be read
 * at start: files that are that namespace cannot be recognised (and refused). Logged once.
 */
export class ProtectedNamespaceUnreadableError extends NsvswitchError {
  readonly path: string;
  readonly which: 'agent' | 'host';
  readonly code: string;

  constructor(path: string, which: 'agent' | 'host', code: string, options?: { cause?: unknown }) {
    const what = which === 'agent' ? "the agent's own network namespace" : 'the host network namespace (hostNetns)';
    super(`Cannot read ${what} at ${JSON.stringify(path)} (${code}); a namespace file that is it will not be recognised and refused`, options);
    this.path = path;
    this.which = which;
    this.code = code;
  }
}
