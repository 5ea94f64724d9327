import { NsvswitchError } from '../errors/nsvswitch-error.js';

/** A subnet or address given to the IP allocator is not valid (validated tenants never cause this). */
export class InvalidCidrError extends NsvswitchError {
  readonly value: string;

  constructor(value: string, reason: string, family: 'IPv4' | 'IPv6' = 'IPv4') {
    super(`Invalid ${family} ${reason}: "${value}"`);
    this.value = value;
  }
}
