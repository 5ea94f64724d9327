import { splitTopLevel } from '../canonical-match.js';
import { ETH_TYPE, FIELDS, FIELD_ALIASES, FIELD_BY_NAME, FIELD_BY_OXM_ID, IP_PROTO, OFPVID_PRESENT, fieldOxmId, type FieldSpec } from './fields.js';
import { BoundedMap } from '../bounded-memo.js';
import { OFPP_NAMES } from './wire.js';
import { UnsupportedFlowError } from './unsupported-flow-error.js';
import { OpenFlowProtocolError } from './openflow-protocol-error.js';
import { formatMask, formatValue, hexBytes, isAllOnes, parseMask, parseUint, parseValue, uintBytes } from './values.js';

/** One OXM TLV: its 32-bit header without the mask bit and length, and the value (and mask). */
export interface OxmEntry {
  /** class << 16 | field << 9 */
  readonly id: number;
  readonly value: Buffer;
  readonly mask?: Buffer;
}

const SHORTHANDS: Readonly<Record<string, { readonly dlType: number; readonly proto?: number }>> = {
  ip: { dlType: ETH_TYPE.ip },
  ipv4: { dlType: ETH_TYPE.ip },
  arp: { dlType: ETH_TYPE.arp },
  ipv6: { dlType: ETH_TYPE.ipv6 },
  icmp: { dlType: ETH_TYPE.ip, proto: IP_PROTO.icmp },
  tcp: { dlType: ETH_TYPE.ip, proto: IP_PROTO.tcp },
  udp: { dlType: ETH_TYPE.ip, proto: IP_PROTO.udp },
  icmp6: { dlType: ETH_TYPE.ipv6, proto: IP_PROTO.icmpv6 },
  tcp6: { dlType: ETH_TYPE.ipv6, proto: IP_PROTO.tcp },
  udp6: { dlType: ETH_TYPE.ipv6, proto: IP_PROTO.udp },
};

// The generic form of a field this codec does not know: oxm_CCCC_FF=0xVALUE[/0xMASK] (class, field in hex).
const GENERIC = /^oxm_([0-9a-f]{4})_([0-9a-f]{2})$/;

export function oxmId(cls: number, field: number): number {
  return ((cls << 16) | (field << 9)) >>> 0;
}

const basic = (spec: FieldSpec): number => fieldOxmId(spec);
const spec = (name: string): FieldSpec => FIELD_BY_NAME.get(name)!;

/** Parses a match in ovs-ofctl text (what the pipeline writes, or what decodeMatch printed) into OXM entries, in prerequisite order. */
export function parseMatch(text: string): OxmEntry[] {
  const byName = new Map<string, { spec: FieldSpec; value: Buffer; mask?: Buffer }>();
  const generic: OxmEntry[] = [];
  const tp: [string, string][] = [];
  let icmpTypeAlias = false;
  const set = (s: FieldSpec, value: Buffer, mask?: Buffer) => {
    byName.set(s.name, { spec: s, value, ...(mask && !isAllOnes(mask) ? { mask } : {}) });
  };
  for (const token of splitTopLevel(text)) {
    const eq = token.indexOf('=');
    if (eq < 0) {
      const sh = SHORTHANDS[token];
      if (sh === undefined) throw new UnsupportedFlowError(text, `match shorthand '${token}'`);
      set(spec('dl_type'), uintBytes(BigInt(sh.dlType), 2));
      if (sh.proto !== undefined) set(spec('nw_proto'), uintBytes(BigInt(sh.proto), 1));
      continue;
    }
    const rawName = token.slice(0, eq);
    const name = FIELD_ALIASES.get(rawName) ?? rawName;
    if (rawName === 'icmp_type') icmpTypeAlias = true;
    const raw = token.slice(eq + 1);
    const slash = raw.indexOf('/');
    const valueText = slash < 0 ? raw : raw.slice(0, slash);
    const maskText = slash < 0 ? undefined : raw.slice(slash + 1);
    if (name === 'tp_src' || name === 'tp_dst') {
      tp.push([name, raw]);
      continue;
    }
    if (name === 'vlan_tci') {
      setVlanTci(text, valueText, maskText, (v, m) => set(spec('vlan_tci'), v, m));
      continue;
    }
    const g = GENERIC.exec(name);
    if (g) {
      generic.push(genericEntry(text, parseInt(g[1]!, 16), parseInt(g[2]!, 16), valueText, maskText));
      continue;
    }
    const s = FIELD_BY_NAME.get(name);
    if (s === undefined) throw new UnsupportedFlowError(text, `match field '${rawName}'`);
    const value = name === 'in_port' ? portBytes(valueText, text) : parseValue(s, valueText, text);
    set(s, value, maskText === undefined ? undefined : parseMask(s, maskText, text));
  }
  if (tp.length > 0) {
    const proto = byName.get('nw_proto');
    const p = proto && proto.mask === undefined ? proto.value.readUInt8(0) : undefined;
    const prefix = p === IP_PROTO.tcp ? 'tcp' : p === IP_PROTO.udp ? 'udp' : undefined;
    if (prefix === undefined) throw new UnsupportedFlowError(text, 'tp_src/tp_dst need tcp or udp');
    for (const [name, raw] of tp) {
      const s = spec(`${prefix}_${name.slice(3)}`);
      const slash = raw.indexOf('/');
      set(s, parseValue(s, slash < 0 ? raw : raw.slice(0, slash), text), slash < 0 ? undefined : parseMask(s, raw.slice(slash + 1), text));
    }
  }
  // icmp_type names ICMPv6's type only in an ICMPv6 match (ICMPv4's type is not a field of this codec).
  if (icmpTypeAlias) {
    const dl = byName.get('dl_type');
    const proto = byName.get('nw_proto');
    if (!dl || dl.value.readUInt16BE(0) !== ETH_TYPE.ipv6 || !proto || proto.value.readUInt8(0) !== IP_PROTO.icmpv6) throw new UnsupportedFlowError(text, 'icmp_type outside an icmp6 match');
  }
  const known = [...byName.values()].sort((a, b) => a.spec.order - b.spec.order);
  // Prerequisites first: eth_type before the L3 fields, ip_proto before the ports (OVS checks them in order).
  const rank = (s: FieldSpec) => (s.name === 'dl_type' ? 0 : s.name === 'nw_proto' ? 1 : s.order >= 60 ? 2 : -1);
  known.sort((a, b) => rank(a.spec) - rank(b.spec) || a.spec.order - b.spec.order);
  return [...known.map((e) => ({ id: basic(e.spec), value: e.value, ...(e.mask ? { mask: e.mask } : {}) })), ...generic];
}

function portBytes(text: string, context: string): Buffer {
  for (const [n, name] of OFPP_NAMES) if (name === text) return uintBytes(BigInt(n), 4);
  return uintBytes(parseUint(text, 4, context, 'in_port'), 4);
}

// OpenFlow 1.3+ has no vlan_tci: OVS maps it to OXM_OF_VLAN_VID, whose 0x1000 bit is "a tag is present" (VLAN_CFI).
function setVlanTci(context: string, valueText: string, maskText: string | undefined, set: (v: Buffer, m?: Buffer) => void): void {
  const v = Number(parseUint(valueText, 2, context, 'vlan_tci'));
  const m = maskText === undefined ? 0xffff : Number(parseUint(maskText, 2, context, 'vlan_tci mask'));
  const vid = v & 0x1fff;
  const mask = m & 0x1fff;
  // PCP bits only matter on a tagged frame; "no tag" (CFI/present bit clear and matched) makes them moot.
  const noTag = (mask & OFPVID_PRESENT) !== 0 && (vid & OFPVID_PRESENT) === 0;
  if ((m & 0xe000) !== 0 && !noTag) throw new UnsupportedFlowError(context, 'vlan_tci with PCP bits');
  if (mask === 0) return;
  set(uintBytes(BigInt(vid), 2), mask === 0x1fff ? undefined : uintBytes(BigInt(mask), 2));
}

function genericEntry(context: string, cls: number, field: number, valueText: string, maskText?: string): OxmEntry {
  const hex = (t: string) => {
    if (!/^0x([0-9a-f]{2})+$/.test(t)) throw new UnsupportedFlowError(context, `bad generic OXM value '${t}'`);
    return Buffer.from(t.slice(2), 'hex');
  };
  const value = hex(valueText);
  const mask = maskText === undefined ? undefined : hex(maskText);
  if (mask && mask.length !== value.length) throw new UnsupportedFlowError(context, 'generic OXM mask length');
  return { id: oxmId(cls, field), value, ...(mask ? { mask } : {}) };
}

/** Encodes OXM entries as the TLVs of an ofp_match (without the match header). */
export function encodeOxms(entries: readonly OxmEntry[]): Buffer {
  const out = Buffer.alloc(oxmsLength(entries));
  writeOxms(entries, out, 0);
  return out;
}

function oxmsLength(entries: readonly OxmEntry[]): number {
  let n = 0;
  for (const e of entries) n += 4 + e.value.length + (e.mask ? e.mask.length : 0);
  return n;
}

function writeOxms(entries: readonly OxmEntry[], out: Buffer, start: number): void {
  let at = start;
  for (const e of entries) {
    const len = e.value.length + (e.mask ? e.mask.length : 0);
    out.writeUInt32BE((e.id | (e.mask ? 0x100 : 0) | len) >>> 0, at);
    e.value.copy(out, at + 4);
    if (e.mask) e.mask.copy(out, at + 4 + e.value.length);
    at += 4 + len;
  }
}

/** An ofp_match (type OXM), padded to 8 bytes; one allocation. */
export function encodeMatch(text: string): Buffer {
  const entries = parseMatch(text);
  const len = 4 + oxmsLength(entries);
  const out = Buffer.alloc(pad8(len));
  out.writeUInt16BE(1, 0); // OFPMT_OXM
  out.writeUInt16BE(len, 2);
  writeOxms(entries, out, 4);
  return out;
}

export function pad8(n: number): number {
  return (n + 7) & ~7;
}

/** Reads OXM TLVs; throws OpenFlowProtocolError on a TLV that overruns its container. */
export function decodeOxms(b: Buffer): OxmEntry[] {
  const out: OxmEntry[] = [];
  let at = 0;
  while (at < b.length) {
    if (b.length - at < 4) throw new OpenFlowProtocolError('truncated OXM header');
    const h = b.readUInt32BE(at);
    const hasMask = (h & 0x100) !== 0;
    const len = h & 0xff;
    if (b.length - at - 4 < len) throw new OpenFlowProtocolError('OXM overruns the match');
    if (hasMask && len % 2 !== 0) throw new OpenFlowProtocolError('odd masked OXM length');
    const body = b.subarray(at + 4, at + 4 + len);
    const id = (h & 0xfffffe00) >>> 0;
    if (hasMask) out.push({ id, value: body.subarray(0, len / 2), mask: body.subarray(len / 2) });
    else out.push({ id, value: body });
    at += 4 + len;
  }
  return out;
}

/** Reads an ofp_match at `at`; returns the match text (ovs-ofctl's form) and the padded length consumed. */
export function decodeMatch(b: Buffer, at: number): { text: string; length: number } {
  if (b.length - at < 4) throw new OpenFlowProtocolError('truncated match');
  const type = b.readUInt16BE(at);
  const len = b.readUInt16BE(at + 2);
  if (type !== 1) throw new OpenFlowProtocolError(`match type ${type} is not OXM`);
  if (len < 4 || b.length - at < pad8(len)) throw new OpenFlowProtocolError(`match length ${len} overruns the message`);
  return { text: matchText(b, at + 4, at + len), length: pad8(len) };
}

/**
 * The text of the OXM TLVs in `b` from `start` to `end`. A switch sends the
 * same matches dump after dump: the text is memoised by the bytes (bounded),
 * so a repeated dump costs one byte-string and one lookup per match. Only
 * TLVs that decoded (the same bytes decode the same) are remembered.
 */
function matchText(b: Buffer, start: number, end: number): string {
  const key = b.toString('latin1', start, end);
  const hit = decodedMatches.get(key);
  if (hit !== undefined) return hit;
  const text = formatOxms(decodeOxms(b.subarray(start, end)));
  decodedMatches.set(key, text);
  return text;
}

const decodedMatches = new BoundedMap<string>(2_048);

// The shorthand ovs-ofctl prints for an exact eth_type (and ip_proto, or none): the first in SHORTHANDS order, never ipv4.
const SHORTHAND_BY_TYPE: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  for (const [n, sh] of Object.entries(SHORTHANDS)) {
    const k = `${sh.dlType}/${sh.proto ?? ''}`;
    if (n !== 'ipv4' && !m.has(k)) m.set(k, n);
  }
  return m;
})();

const DL_TYPE = FIELD_BY_NAME.get('dl_type')!;
const NW_PROTO = FIELD_BY_NAME.get('nw_proto')!;

interface KnownEntry {
  readonly spec: FieldSpec;
  readonly value: Buffer;
  readonly mask: Buffer | undefined;
}

/**
 * OXM entries as ovs-ofctl prints them: the protocol shorthand first, then
 * the fields in OVS's order. Fields this codec does not know are printed in
 * the generic `oxm_` form, so they round-trip (a strict delete re-encodes
 * them byte for byte) and never compare equal to a desired flow.
 */
export function formatOxms(entries: readonly OxmEntry[]): string {
  const known: KnownEntry[] = [];
  let generic: string[] | undefined;
  for (const e of entries) {
    const s = FIELD_BY_OXM_ID.get(e.id);
    if (s && e.value.length === s.bytes) known.push({ spec: s, value: e.value, mask: e.mask });
    else (generic ??= []).push(`oxm_${(e.id >>> 16).toString(16).padStart(4, '0')}_${((e.id >>> 9) & 0x7f).toString(16).padStart(2, '0')}=${hexBytes(e.value)}${e.mask ? `/${hexBytes(e.mask)}` : ''}`);
  }
  // The first entry of a field decides whether it is exact (as a shorthand needs).
  let dlType: number | undefined;
  let proto: number | undefined;
  let dlSeen = false;
  let protoSeen = false;
  for (const k of known) {
    if (k.spec === DL_TYPE && !dlSeen) {
      dlSeen = true;
      if (k.mask === undefined) dlType = k.value.readUInt16BE(0);
    } else if (k.spec === NW_PROTO && !protoSeen) {
      protoSeen = true;
      if (k.mask === undefined) proto = k.value.readUInt8(0);
    }
  }
  let out = '';
  let skipDlType = false;
  let skipProto = false;
  if (dlType !== undefined) {
    const name = SHORTHAND_BY_TYPE.get(`${dlType}/${proto ?? ''}`);
    const plain = SHORTHAND_BY_TYPE.get(`${dlType}/`);
    if (name !== undefined) {
      out = name;
      skipDlType = true;
      skipProto = proto !== undefined;
    } else if (plain !== undefined) {
      out = plain;
      skipDlType = true;
    }
  }
  if (known.length > 1) known.sort((a, b) => a.spec.order - b.spec.order);
  for (const k of known) {
    if ((skipDlType && k.spec === DL_TYPE) || (skipProto && k.spec === NW_PROTO)) continue;
    const field = `${PRINTED_NAMES.get(k.spec)!}=${printedValue(k.spec, k.value, k.mask)}`;
    out = out === '' ? field : `${out},${field}`;
  }
  if (generic !== undefined) for (const g of generic) out = out === '' ? g : `${out},${g}`;
  return out;
}

const PRINTED_NAMES: ReadonlyMap<FieldSpec, string> = new Map(FIELDS.map((s) => [s, printedName(s)]));

function printedName(s: FieldSpec): string {
  if (s.name.startsWith('tcp_') || s.name.startsWith('udp_')) return `tp_${s.name.slice(4)}`;
  if (s.name === 'icmpv6_type') return 'icmp_type';
  return s.name;
}

function printedValue(s: FieldSpec, value: Buffer, mask?: Buffer): string {
  if (s.name === 'in_port') {
    const n = value.readUInt32BE(0);
    return OFPP_NAMES.get(n) ?? String(n);
  }
  if (s.name === 'vlan_tci') {
    // Back from OXM_OF_VLAN_VID to vlan_tci (VID and the CFI/present bit); an exact VID prints with mask 0x1fff.
    const m = mask ? mask.readUInt16BE(0) : 0x1fff;
    return `${formatValue(s, value)}/0x${m.toString(16).padStart(4, '0')}`;
  }
  return `${formatValue(s, value)}${formatMask(s, mask)}`;
}
