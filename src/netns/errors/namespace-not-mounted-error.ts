import { NsvswitchError } from '../../errors/nsvswitch-error.js';

/** A file in a namespace directory never became an nsfs mount (a stray file): ignored, reported once. */
export class NamespaceNotMountedError extends NsvswitchError {
  readonly path: string;
  readonly namespace: string;
  readonly waitedMs: number;

  constructor(path: string, namespace: string, waitedMs: number) {
    super(`Namespace file ${JSON.stringify(path)} (namespace ${JSON.stringify(namespace)}) is not an nsfs mount after ${waitedMs} ms; ignoring it until it changes`);
    this.path = path;
    this.namespace = namespace;
    this.waitedMs = waitedMs;
  }
}
