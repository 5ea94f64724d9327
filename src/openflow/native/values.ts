import { UnsupportedFlowError } from './unsupported-flow-error.js';
import type { FieldSpec } from './fields.js';
import { formatIpv6, mask6Of, parseIpv6 } from '../../net/ipv6.js';

const MAC = /^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Parses a field value of ovs-ofctl text into `bytes` big-endian bytes. */
export function parseValue(spec: FieldSpec, text: string, context: string): Buffer {
  const out = Buffer.alloc(spec.bytes);
  if (spec.kind === 'mac') {
    if (!MAC.test(text)) throw new UnsupportedFlowError(context, `bad MAC '${text}' for ${spec.name}`);
    const parts = text.split(':');
    for (let i = 0; i < 6; i++) out[i] = parseInt(parts[i]!, 16);
    return out;
  }
  if (spec.kind === 'ipv4') {
    const parts = text.split('.');
    if (!IPV4.test(text) || parts.some((p) => Number(p) > 255)) throw new UnsupportedFlowError(context, `bad IPv4 address '${text}' for ${spec.name}`);
    for (let i = 0; i < 4; i++) out[i] = Number(parts[i]);
    return out;
  }
  if (spec.kind === 'ipv6') {
    const n = parseIpv6(text);
    if (n === undefined) throw new UnsupportedFlowError(context, `bad IPv6 address '${text}' for ${spec.name}`);
    return uintBytes(n, 16);
  }
  return uintBytes(parseUint(text, spec.bytes, context, spec.name), spec.bytes);
}

/** A mask in text: like a value, or for an IPv4 or IPv6 address a prefix length. */
export function parseMask(spec: FieldSpec, text: string, context: string): Buffer {
  if (spec.kind === 'ipv4' && /^\d{1,2}$/.test(text)) {
    const len = Number(text);
    if (len > 32) throw new UnsupportedFlowError(context, `bad prefix /${text} for ${spec.name}`);
    return uintBytes(len === 0 ? 0n : ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - len)) - 1n), 4);
  }
  if (spec.kind === 'ipv6' && /^\d{1,3}$/.test(text)) {
    const len = Number(text);
    if (len > 128) throw new UnsupportedFlowError(context, `bad prefix /${text} for ${spec.name}`);
    return uintBytes(mask6Of(len), 16);
  }
  if (text === '-1') return Buffer.alloc(spec.bytes, 0xff);
  return parseValue(spec, text, context);
}

export function parseUint(text: string, bytes: number, context: string, what: string): bigint {
  if (!UINT.test(text)) throw new UnsupportedFlowError(context, `bad number '${text}' for ${what}`);
  const v = BigInt(text);
  if (v >= 1n << BigInt(bytes * 8)) throw new UnsupportedFlowError(context, `${what}=${text} does not fit ${bytes} bytes`);
  return v;
}

const UINT = /^(0x[0-9a-fA-F]+|\d+)$/;

export function uintBytes(v: bigint, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  // Up to 48 bits fit a double exactly: no BigInt loop for the common fields.
  if (bytes <= 6) {
    out.writeUIntBE(Number(v), 0, bytes);
    return out;
  }
  let x = v;
  for (let i = bytes - 1; i >= 0; i--) {
    out.writeUInt8(Number(x & 0xffn), i);
    x >>= 8n;
  }
  return out;
}

export function bytesUint(b: Buffer): bigint {
  if (b.length === 8) return b.readBigUInt64BE(0);
  let v = 0n;
  for (const byte of b) v = (v << 8n) | BigInt(byte);
  return v;
}

/** The value of up to 6 bytes as a number (exact), else as a bigint: what toString(10 or 16) prints the same either way. */
function uintOf(b: Buffer): number | bigint {
  return b.length === 0 ? 0 : b.length <= 6 ? b.readUIntBE(0, b.length) : bytesUint(b);
}

export function isAllOnes(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0xff) return false;
  return true;
}

/** Two lower-case hex digits per byte value. */
const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** The value as ovs-ofctl prints it (without mask). */
export function formatValue(spec: FieldSpec, b: Buffer): string {
  if (spec.kind === 'mac') {
    if (b.length === 6) return `${HEX2[b[0]!]}:${HEX2[b[1]!]}:${HEX2[b[2]!]}:${HEX2[b[3]!]}:${HEX2[b[4]!]}:${HEX2[b[5]!]}`;
    return [...b].map((x) => HEX2[x]!).join(':');
  }
  if (spec.kind === 'ipv4') return b.length === 4 ? `${b[0]}.${b[1]}.${b[2]}.${b[3]}` : [...b].join('.');
  // RFC 5952, as OVS prints it (inet_ntop) for every address the pipeline writes (none in ::/96).
  if (spec.kind === 'ipv6') return formatIpv6(bytesUint(b));
  const v = uintOf(b);
  if (spec.kind === 'hex') return `0x${v.toString(16).padStart(spec.name === 'dl_type' || spec.name === 'vlan_tci' ? 4 : 1, '0')}`;
  return v.toString(10);
}

/** `/MASK` as ovs-ofctl prints it, or '' for an exact match. */
export function formatMask(spec: FieldSpec, mask: Buffer | undefined): string {
  if (mask === undefined || isAllOnes(mask)) return '';
  if (spec.kind === 'ipv4') {
    const inverted = ~Number(bytesUint(mask)) >>> 0;
    // Contiguous (a prefix): the host bits are all ones from the bottom.
    if ((inverted & (inverted + 1)) === 0) return `/${32 - Math.log2(inverted + 1)}`;
    return `/${[...mask].join('.')}`;
  }
  if (spec.kind === 'ipv6') {
    const m = bytesUint(mask);
    for (let len = 0; len <= 128; len++) if (mask6Of(len) === m) return `/${len}`;
    return `/${formatValue(spec, mask)}`;
  }
  if (spec.kind === 'mac') return `/${formatValue(spec, mask)}`;
  const hex = uintOf(mask).toString(16);
  return `/0x${hex.padStart(spec.name === 'vlan_tci' ? 4 : 1, '0')}`;
}

export function hexBytes(b: Buffer): string {
  return `0x${b.toString('hex')}`;
}
