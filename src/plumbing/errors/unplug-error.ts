import { NsvswitchError } from '../../errors/nsvswitch-error.js';

/** Deleting host veths failed for a reason other than "already gone". */
export class UnplugError extends NsvswitchError {
  readonly failures: ReadonlyMap<string, string>;

  constructor(failures: ReadonlyMap<string, string>, options?: { cause?: unknown }) {
    super(`unplug failed: ${[...failures].map(([i, r]) => `host interface ${i}: ${r}`).join('; ')}`, options);
    this.failures = failures;
  }
}
