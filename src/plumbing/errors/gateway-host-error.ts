import { NsvswitchError } from '../../errors/nsvswitch-error.js';

/** Setting up the host side of tenant gateways (nftables table, addresses, sysctls) failed; names the table and interfaces. */
export class GatewayHostError extends NsvswitchError {
  readonly table: string;
  readonly gateways: readonly string[];
  readonly reason: string;

  constructor(table: string, gateways: readonly string[], step: string, reason: string, options?: { cause?: unknown }) {
    const shown = gateways.length > 5 ? `${gateways.slice(0, 5).join(', ')} and ${gateways.length - 5} more` : gateways.join(', ');
    super(`tenant gateways [${shown}] (nftables table inet ${table}) failed at "${step}": ${reason}`, options);
    this.table = table;
    this.gateways = gateways;
    this.reason = reason;
  }
}
