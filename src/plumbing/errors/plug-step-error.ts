import { PlugError } from './plug-error.js';

/** One `ip` step of plugging a namespace failed (the reason is ip's own message). */
export class PlugStepError extends PlugError {
  readonly step: string;
  readonly reason: string;

  constructor(nsPath: string, hostIf: string, step: string, reason: string, options?: { cause?: unknown }) {
    super(`plugging namespace ${nsPath} (host interface ${hostIf}) failed at "${step}": ${reason}`, nsPath, hostIf, options);
    this.step = step;
    this.reason = reason;
  }
}
