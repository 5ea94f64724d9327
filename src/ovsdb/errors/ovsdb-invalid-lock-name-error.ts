import { OvsdbError } from './ovsdb-error.js';

/** A lock name that is not an RFC 7047 <id> (letters, digits, underscores; not starting with a digit): refused before it is sent. */
export class OvsdbInvalidLockNameError extends OvsdbError {
  readonly lock: string;
  constructor(lock: string) {
    super(`OVSDB lock name ${JSON.stringify(lock.slice(0, 64))} is not valid: letters, digits and underscores, not starting with a digit`);
    this.lock = lock;
  }
}
