import { NsvswitchError } from '../../errors/nsvswitch-error.js';

/** The switch refused an OpenFlow flow monitor (or answered it unreadably) on a bridge. */
export class FlowMonitorUnavailableError extends NsvswitchError {
  constructor(
    readonly bridge: string,
    readonly socketPath: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`OpenFlow flow monitor unavailable on bridge ${bridge} (${socketPath}): ${reason}`, options);
  }
}
