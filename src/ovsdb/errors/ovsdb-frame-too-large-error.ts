import { OvsdbError } from './ovsdb-error.js';

/** One message from the server grew beyond maxMessageBytes; the connection is dropped (and a monitor whose reply it was ends). */
export class OvsdbFrameTooLargeError extends OvsdbError {
  readonly maxBytes: number;
  constructor(maxBytes: number, message?: string, options?: { cause?: unknown }) {
    super(message ?? `OVSDB message exceeds the limit of ${maxBytes} bytes`, options);
    this.maxBytes = maxBytes;
  }
}
