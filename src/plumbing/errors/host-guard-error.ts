import { NsvswitchError } from '../../errors/nsvswitch-error.js';

/** Sealing host veth ends (nftables ingress drop, sysctls) failed; names the table and the interfaces. */
export class HostGuardError extends NsvswitchError {
  readonly table: string;
  readonly hostIfs: readonly string[];
  readonly reason: string;

  constructor(table: string, hostIfs: readonly string[], step: string, reason: string, options?: { cause?: unknown }) {
    const shown = hostIfs.length > 5 ? `${hostIfs.slice(0, 5).join(', ')} and ${hostIfs.length - 5} more` : hostIfs.join(', ');
    super(`sealing host interfaces [${shown}] (nftables table netdev ${table}) failed at "${step}": ${reason}`, options);
    this.table = table;
    this.hostIfs = hostIfs;
    this.reason = reason;
  }
}
