import { NamespaceRefusedError } from './namespace-refused-error.js';

/** A file in a namespace directory that is the agent's own network namespace, or the configured host namespace (hostNetns): refused. */
export class HostNamespaceFileError extends NamespaceRefusedError {
  readonly reason: 'agent-namespace' | 'host-namespace';
  /** The namespace it is: /proc/self/ns/net, or the hostNetns path. */
  readonly hostPath: string;

  constructor(path: string, namespace: string, which: 'agent' | 'host', hostPath: string) {
    const what = which === 'agent' ? `the agent's own network namespace (${hostPath})` : `the host network namespace (hostNetns ${JSON.stringify(hostPath)})`;
    super(path, namespace, `Namespace file ${JSON.stringify(path)} is ${what}; refused: it is never plugged into a tenant`);
    this.reason = which === 'agent' ? 'agent-namespace' : 'host-namespace';
    this.hostPath = hostPath;
  }
}
