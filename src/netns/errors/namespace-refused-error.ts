import { NsvswitchError } from '../../errors/nsvswitch-error.js';

/** Why a file in a namespace directory is never plugged (see docs/namespaces.md, "Refused files"). */
export type RefusalReason = 'symlink' | 'agent-namespace' | 'host-namespace' | 'alias';

/**
 * Base of the refusals: a file in a watched directory that looks like (or
 * leads to) a namespace, but must not be handed to a tenant. Reported once,
 * listed in /status while it stays, never retried, never plugged.
 */
export abstract class NamespaceRefusedError extends NsvswitchError {
  readonly path: string;
  /** File name (untrusted text). */
  readonly namespace: string;
  abstract readonly reason: RefusalReason;

  protected constructor(path: string, namespace: string, message: string) {
    super(message);
    this.path = path;
    this.namespace = namespace;
  }
}
