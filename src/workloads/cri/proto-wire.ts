// The protobuf wire format, the few parts the CRI messages use: varints, length-delimited fields
// (strings, nested messages, map entries), and skipping everything else. Hand-written so every
// answer from the runtime is read under our bounds (bytes, nesting, counts) and nothing else is
// generated or loaded at run time. Pure.

/** Wire types (https://protobuf.dev/programming-guides/encoding/). */
export const WIRE = Object.freeze({ varint: 0, fixed64: 1, bytes: 2, fixed32: 5 });

export class ProtoError extends Error {}

/** Builds one message: fields appended in order (the order does not matter to a reader). */
export class ProtoWriter {
  private readonly parts: Buffer[] = [];

  private varint(n: number): void {
    const out: number[] = [];
    let v = n;
    while (v > 0x7f) {
      out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    out.push(v);
    this.parts.push(Buffer.from(out));
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  /** A uint32/enum/bool field; zero (the default) is left out, as proto3 does. */
  uint(field: number, v: number | boolean): this {
    const n = typeof v === 'boolean' ? (v ? 1 : 0) : v;
    if (!Number.isSafeInteger(n) || n < 0) throw new ProtoError(`field ${field}: ${n} is not a non-negative integer`);
    if (n === 0) return this;
    this.tag(field, WIRE.varint);
    this.varint(n);
    return this;
  }

  bytes(field: number, b: Buffer): this {
    this.tag(field, WIRE.bytes);
    this.varint(b.length);
    this.parts.push(b);
    return this;
  }

  /** A string field; empty (the default) is left out. */
  string(field: number, s: string | undefined): this {
    return s === undefined || s === '' ? this : this.bytes(field, Buffer.from(s, 'utf8'));
  }

  message(field: number, m: ProtoWriter | undefined): this {
    return m === undefined ? this : this.bytes(field, m.finish());
  }

  /** map<string, string>: one entry message (key = 1, value = 2) per pair. */
  map(field: number, m: Readonly<Record<string, string>> | undefined): this {
    for (const [k, v] of Object.entries(m ?? {})) this.message(field, new ProtoWriter().string(1, k).string(2, v));
    return this;
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** One field as read: varints as numbers (exact up to 2^53, which every field read here fits), bytes as a view. */
export type ProtoField = { readonly no: number; readonly wire: 0; readonly n: number } | { readonly no: number; readonly wire: 2; readonly b: Buffer };

function readVarint(buf: Buffer, at: number): [number, number] {
  let n = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (at + i >= buf.length) throw new ProtoError('truncated varint');
    const byte = buf[at + i]!;
    n += (byte & 0x7f) * mul;
    mul *= 0x80;
    if ((byte & 0x80) === 0) return [n, at + i + 1];
  }
  throw new ProtoError('varint longer than 10 bytes');
}

/**
 * The fields of one message, in order. Fixed-width fields are skipped (none is read here); groups and
 * unknown wire types are refused; lengths must stay inside the buffer.
 */
export function* readFields(buf: Buffer): Generator<ProtoField> {
  let at = 0;
  while (at < buf.length) {
    const [tag, next] = readVarint(buf, at);
    at = next;
    const no = Math.floor(tag / 8);
    const wire = tag % 8;
    if (no < 1) throw new ProtoError('field number 0');
    if (wire === WIRE.varint) {
      const [n, after] = readVarint(buf, at);
      at = after;
      yield { no, wire: 0, n };
    } else if (wire === WIRE.bytes) {
      const [len, after] = readVarint(buf, at);
      if (len > buf.length - after) throw new ProtoError(`field ${no}: length ${len} runs past the message`);
      at = after + len;
      yield { no, wire: 2, b: buf.subarray(after, at) };
    } else if (wire === WIRE.fixed64) at += 8;
    else if (wire === WIRE.fixed32) at += 4;
    else throw new ProtoError(`field ${no}: unsupported wire type ${wire}`);
    if (at > buf.length) throw new ProtoError(`field ${no}: runs past the message`);
  }
}
