import { NsvswitchError } from '../../errors/nsvswitch-error.js';

/** A line of `ovs-ofctl dump-flows` output could not be read as a flow. */
export class FlowParseError extends NsvswitchError {
  constructor(
    readonly line: string,
    readonly reason: string,
  ) {
    super(`Cannot parse flow '${line.trim()}': ${reason}`);
  }
}
