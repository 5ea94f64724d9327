import { OvsdbError } from './ovsdb-error.js';

/** One message from the server grew beyond maxMessageBytes; the connection is dropped. */
export class OvsdbFrameTooLargeError extends OvsdbError {
  readonly maxBytes: number;
  constructor(maxBytes: number) {
    super(`OVSDB message exceeds the limit of ${maxBytes} bytes`);
    this.maxBytes = maxBytes;
  }
}
