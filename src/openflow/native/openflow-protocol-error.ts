import { NsvswitchError } from '../../errors/nsvswitch-error.js';

/** The switch sent bytes we cannot read as OpenFlow (bad header, truncated body): the connection is dropped. */
export class OpenFlowProtocolError extends NsvswitchError {
  constructor(reason: string, options?: ErrorOptions) {
    super(`Malformed OpenFlow message: ${reason}`, options);
  }
}
