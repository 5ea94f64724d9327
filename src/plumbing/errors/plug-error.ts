import { NsvswitchError } from '../../errors/nsvswitch-error.js';

export type PlugErrorKind = 'plumbing' | 'namespace-gone' | 'ifname-taken' | 'host-interface-exists' | 'invalid-spec';

/** Base of per-namespace plug failures: names the namespace path and the host interface. */
export class PlugError extends NsvswitchError {
  /** Short fixed label for metrics (nsvswitch_reconcile_errors_total{reason}). */
  readonly kind: PlugErrorKind = 'plumbing';
  readonly nsPath: string;
  readonly hostIf: string;

  constructor(message: string, nsPath: string, hostIf: string, options?: { cause?: unknown }) {
    super(message, options);
    this.nsPath = nsPath;
    this.hostIf = hostIf;
  }
}
