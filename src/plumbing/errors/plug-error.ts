import { NsvswitchError } from '../../errors/nsvswitch-error.js';

/** Base of per-namespace plug failures: names the namespace path and the host interface. */
export class PlugError extends NsvswitchError {
  readonly nsPath: string;
  readonly hostIf: string;

  constructor(message: string, nsPath: string, hostIf: string, options?: { cause?: unknown }) {
    super(message, options);
    this.nsPath = nsPath;
    this.hostIf = hostIf;
  }
}
