import { NsvswitchError } from '../../errors/nsvswitch-error.js';

/** `plumbing: native` was configured but the addon cannot do rtnetlink: the agent does not start on processes silently. */
export class NativePlumbingUnavailableError extends NsvswitchError {
  readonly reason: string;

  constructor(reason: string) {
    super(`plumbing: native, but ${reason}`);
    this.reason = reason;
  }
}
