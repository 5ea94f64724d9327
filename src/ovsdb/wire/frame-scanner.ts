import { OvsdbFrameTooLargeError } from '../errors/ovsdb-frame-too-large-error.js';
import { OvsdbProtocolError } from '../errors/ovsdb-protocol-error.js';

/** One complete JSON value cut out of the byte stream. */
export interface Frame {
  readonly text: string;
  /** A digit run longer than 15 outside strings: parse with bigint support. */
  readonly hasLongNumber: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
/** Number.MAX_SAFE_INTEGER has 16 digits; 15 are always safe. */
const SAFE_DIGITS = 15;
/**
 * Deepest nesting of arrays and objects accepted in one message. Real OVSDB
 * traffic stays under 10 (a map value inside a row diff inside an update3 is
 * 9); a deeper message is a hostile one and is refused while it is being cut,
 * before JSON.parse could spend memory and time on it.
 */
export const DEFAULT_MAX_DEPTH = 64;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/**
 * Cuts the stream of concatenated JSON values (RFC 7047 has no length prefix)
 * into frames. Works on bytes, so a multibyte UTF-8 character split across
 * chunks is only decoded once its frame is complete; tracks strings and
 * escapes so braces and quotes inside strings do not count. Each byte is
 * looked at once; a partial frame is kept as chunk slices, not re-copied.
 */
export class FrameScanner {
  private depth = 0;
  private inString = false;
  private escape = false;
  private digitRun = 0;
  private longNumber = false;
  private parts: Buffer[] = [];
  private partBytes = 0;

  constructor(
    private readonly source: string,
    private readonly maxBytes: number,
    private readonly maxDepth: number = DEFAULT_MAX_DEPTH,
  ) {}

  /** Bytes of the message being assembled (0 between messages). */
  get pendingBytes(): number {
    return this.partBytes;
  }

  /**
   * Feeds one chunk and hands each completed frame to `emit` at once, so the
   * messages before a bad byte are still delivered. Throws on bytes that
   * cannot start a message, on an oversized message, and on one nested
   * deeper than maxDepth (in linear time: each byte is looked at once).
   */
  push(chunk: Buffer, emit: (frame: Frame) => void): void {
    let start = this.depth > 0 ? 0 : -1;
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const b = chunk[i]!;
      if (this.depth === 0) {
        if (isSpace(b)) continue;
        if (b !== OPEN_BRACE && b !== OPEN_BRACKET) {
          throw new OvsdbProtocolError(this.source, `unexpected byte 0x${b.toString(16).padStart(2, '0')} between messages`);
        }
        this.depth = 1;
        this.digitRun = 0;
        this.longNumber = false;
        start = i;
        continue;
      }
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (b === BACKSLASH) this.escape = true;
        else if (b === QUOTE) this.inString = false;
        continue;
      }
      if (b >= DIGIT_0 && b <= DIGIT_9) {
        if (++this.digitRun > SAFE_DIGITS) this.longNumber = true;
        continue;
      }
      this.digitRun = 0;
      if (b === QUOTE) this.inString = true;
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        if (++this.depth > this.maxDepth) throw new OvsdbProtocolError(this.source, `message nested deeper than ${this.maxDepth} levels`);
      }
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        if (--this.depth === 0) {
          const size = this.partBytes + (i + 1 - start);
          if (size > this.maxBytes) throw new OvsdbFrameTooLargeError(this.maxBytes);
          const tail = chunk.subarray(start, i + 1);
          const bytes = this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail], size);
          this.parts = [];
          this.partBytes = 0;
          start = -1;
          emit({ text: bytes.toString('utf8'), hasLongNumber: this.longNumber });
        }
      }
    }
    if (this.depth > 0 && start >= 0) {
      const rest = chunk.subarray(start);
      this.parts.push(rest);
      this.partBytes += rest.length;
      if (this.partBytes > this.maxBytes) throw new OvsdbFrameTooLargeError(this.maxBytes);
    }
  }

  /** push() collecting the frames into an array (tests, fixtures). */
  pushAll(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    this.push(chunk, (f) => frames.push(f));
    return frames;
  }
}
