import type { Metrics } from '../observe/metrics.js';
import type { NamespaceRefusedError } from '../netns/index.js';

/** A trouble shown in /status: why, and since when (ms since epoch). */
export interface Trouble {
  readonly reason: string;
  readonly sinceMs: number;
}

/** What the namespace source could not take, for /status: unreadable directories and refused files (never plugged). */
export class NamespaceTroubles {
  /** Namespace directories that cannot be read now (their namespaces stay as last seen). */
  readonly dirErrors = new Map<string, Trouble>();
  /** Files in namespace directories refused (symlinks, the agent's or host namespace, aliases). */
  readonly refusedFiles = new Map<string, Trouble>();

  constructor(private readonly metrics: Metrics) {}

  dirState(dir: string, state: 'ok' | 'missing' | 'unreadable', reason?: string): void {
    if (state !== 'unreadable') this.dirErrors.delete(dir);
    else if (!this.dirErrors.has(dir)) this.dirErrors.set(dir, { reason: `namespace directory unreadable: ${reason ?? 'unknown'}`, sinceMs: Date.now() });
  }

  refusal(path: string, refusal: NamespaceRefusedError | undefined): void {
    const was = this.refusedFiles.get(path);
    if (!refusal) this.refusedFiles.delete(path);
    else {
      this.refusedFiles.set(path, { reason: `${refusal.reason}: ${refusal.message}`, sinceMs: was?.sinceMs ?? Date.now() });
      if (!was) this.metrics.namespaceRefusals.inc({ reason: refusal.reason });
    }
    this.metrics.namespacesRefused.set(this.refusedFiles.size);
  }
}
