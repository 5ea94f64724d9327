import { OFP_HEADER_LEN } from './wire.js';
import { OpenFlowProtocolError } from './openflow-protocol-error.js';

/** One OpenFlow message as framed off the stream: header fields plus the whole message bytes. */
export interface OfMessage {
  readonly version: number;
  readonly type: number;
  readonly xid: number;
  /** The whole message, header included. */
  readonly bytes: Buffer;
}

/**
 * Cuts a byte stream into OpenFlow messages. The length field is checked
 * (at least a header, at most 64 KiB by construction) and so is the version,
 * so a peer that speaks garbage is refused at the first bad header instead of
 * being read as a huge message. Chunks are kept in a list and joined only
 * when a message spans them: linear in bytes.
 */
export class OfFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** `version` once negotiated; before that any version in 1..6 is accepted (a HELLO may carry another). */
  constructor(private version?: number) {}

  setVersion(v: number): void {
    this.version = v;
  }

  /** Adds bytes; returns every message now complete. Throws OpenFlowProtocolError on a bad header. */
  push(chunk: Buffer): OfMessage[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: OfMessage[] = [];
    for (;;) {
      if (this.buffered < OFP_HEADER_LEN) break;
      const head = this.peek(OFP_HEADER_LEN);
      const version = head.readUInt8(0);
      const length = head.readUInt16BE(2);
      if (length < OFP_HEADER_LEN) throw new OpenFlowProtocolError(`message length ${length} shorter than the header`);
      if (version < 1 || version > 6 || (this.version !== undefined && version !== this.version)) {
        throw new OpenFlowProtocolError(`unexpected OpenFlow version 0x${version.toString(16)}`);
      }
      if (this.buffered < length) break;
      const bytes = this.take(length);
      out.push({ version, type: bytes.readUInt8(1), xid: bytes.readUInt32BE(4), bytes });
    }
    return out;
  }

  /** Bytes held for a message not complete yet (at most one message: under 64 KiB). */
  get pending(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!;
  }

  private take(n: number): Buffer {
    const first = this.peek(n);
    const msg = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return msg;
  }
}
