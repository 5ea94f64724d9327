import { NsvswitchError } from '../../errors/nsvswitch-error.js';

/** The agent's bridge could not be created or brought to what the agent needs. */
export class BridgeSetupError extends NsvswitchError {
  constructor(readonly bridge: string, reason: string, options?: { cause?: unknown }) {
    super(`bridge ${bridge}: ${reason}`, options);
  }
}
