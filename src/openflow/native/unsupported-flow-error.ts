import { NsvswitchError } from '../../errors/nsvswitch-error.js';

/** A flow's text uses a field, value or action the native codec does not encode (the ofctl driver would). */
export class UnsupportedFlowError extends NsvswitchError {
  constructor(
    readonly flow: string,
    readonly reason: string,
  ) {
    super(`Cannot encode flow natively (${reason}): ${flow}`);
  }
}
