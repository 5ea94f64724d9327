import { NamespaceRefusedError } from './namespace-refused-error.js';

/** A symbolic link in a namespace directory: refused, whatever it points to (a watched directory never yields a namespace outside it). */
export class NamespaceSymlinkError extends NamespaceRefusedError {
  readonly reason = 'symlink' as const;
  /** What the link points to (untrusted text, as readlink returned it). */
  readonly target: string;

  constructor(path: string, namespace: string, target: string) {
    super(path, namespace, `Namespace file ${JSON.stringify(path)} is a symbolic link (to ${JSON.stringify(target)}); refused: only namespaces mounted in the watched directory itself are plugged`);
    this.target = target;
  }
}
