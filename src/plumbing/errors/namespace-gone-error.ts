import { PlugError } from './plug-error.js';

/** The namespace file was missing, or vanished (or was replaced) while it was being plugged. */
export class NamespaceGoneError extends PlugError {
  override readonly kind = 'namespace-gone';
  readonly reason: string;

  constructor(nsPath: string, hostIf: string, reason: string, options?: { cause?: unknown }) {
    super(`namespace ${nsPath} is gone (${reason}); host interface ${hostIf} not plugged`, nsPath, hostIf, options);
    this.reason = reason;
  }
}
