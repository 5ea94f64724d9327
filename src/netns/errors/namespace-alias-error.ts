import { NamespaceRefusedError } from './namespace-refused-error.js';

/** A file that is the same namespace (dev+inode) as one already known under another path: refused, the first path keeps it. */
export class NamespaceAliasError extends NamespaceRefusedError {
  readonly reason = 'alias' as const;
  /** The path that holds the namespace. */
  readonly ownerPath: string;

  constructor(path: string, namespace: string, ownerPath: string) {
    super(path, namespace, `Namespace file ${JSON.stringify(path)} is the same namespace as ${JSON.stringify(ownerPath)}; refused: a namespace is plugged once, under the path seen first`);
    this.ownerPath = ownerPath;
  }
}
