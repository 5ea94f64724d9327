import { NsvswitchError } from '../errors/nsvswitch-error.js';

/** A subnet or address given to the IP allocator is not valid IPv4 (validated tenants never cause this). */
export class InvalidCidrError extends NsvswitchError {
  readonly value: string;

  constructor(value: string, reason: string) {
    super(`Invalid IPv4 ${reason}: "${value}"`);
    this.value = value;
  }
}
