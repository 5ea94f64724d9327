import { OpenFlowProtocolError } from './openflow-protocol-error.js';

/** How one list of OpenFlow records is laid out, and what its errors call a record. */
export interface RecordLayout {
  /** What a record is called in errors (`truncated ${what}`, `${what} length N`). */
  readonly what: string;
  /** Offset of the 16-bit length inside a record. */
  readonly lengthAt: number;
  /** The shortest valid record, bytes. */
  readonly minLength: number;
  /** Bytes that must remain before a record's header is read (default 4). */
  readonly headerLength?: number;
}

/**
 * Walks the 8-aligned, length-prefixed records of `b` from `from` to its end (instructions, actions,
 * flow stats entries, flow updates), handing each one to `each`; throws OpenFlowProtocolError on a
 * truncated record or a length out of bounds.
 */
export function forEachRecord(b: Buffer, from: number, layout: RecordLayout, each: (record: Buffer) => void): void {
  const header = layout.headerLength ?? 4;
  let at = from;
  while (at < b.length) {
    if (b.length - at < header) throw new OpenFlowProtocolError(`truncated ${layout.what}`);
    const len = b.readUInt16BE(at + layout.lengthAt);
    if (len < layout.minLength || len % 8 !== 0 || at + len > b.length) throw new OpenFlowProtocolError(`${layout.what} length ${len}`);
    each(b.subarray(at, at + len));
    at += len;
  }
}
