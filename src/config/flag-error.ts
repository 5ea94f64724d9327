import { NsvswitchError } from '../errors/nsvswitch-error.js';

/** A command-line flag is unknown, lacks its value, or has a bad value (a usage error: exit 2). */
export class FlagError extends NsvswitchError {
  readonly flag: string;

  constructor(flag: string, message: string) {
    super(`${flag}: ${message}`);
    this.flag = flag;
  }
}
