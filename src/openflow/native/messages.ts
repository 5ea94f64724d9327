import type { Flow } from '../flow.js';
import { encodeInstructions, decodeInstructions } from './action-codec.js';
import { decodeMatch, encodeMatch, pad8 } from './match-codec.js';
import { OpenFlowProtocolError } from './openflow-protocol-error.js';
import { forEachRecord, type RecordLayout } from './records.js';
import { UnsupportedFlowError } from './unsupported-flow-error.js';
import { flowToText } from '../flow.js';
import {
  FlowModCommand,
  HelloElem,
  MsgType,
  MultipartType,
  OFP15_VERSION,
  OFP_HEADER_LEN,
  OFP_MAX_MESSAGE_LEN,
  OFPG_ANY,
  OFPP_ANY,
  OFPTT_ALL,
  OFP_NO_BUFFER,
  FLOW_MOD_FLAGS_NONE,
} from './wire.js';

/** A message: header (version 1.5, type, length, xid) + body. */
export function message(type: number, xid: number, body: Buffer = Buffer.alloc(0), version = OFP15_VERSION): Buffer {
  const length = OFP_HEADER_LEN + body.length;
  if (length > OFP_MAX_MESSAGE_LEN) throw new RangeError(`OpenFlow message of ${length} bytes exceeds 65535`);
  const b = Buffer.alloc(length);
  b.writeUInt8(version, 0);
  b.writeUInt8(type, 1);
  b.writeUInt16BE(length, 2);
  b.writeUInt32BE(xid >>> 0, 4);
  body.copy(b, OFP_HEADER_LEN);
  return b;
}

/** HELLO offering `versions` (a version bitmap element; default only OpenFlow 1.5). */
export function hello(xid: number, versions: readonly number[] = [OFP15_VERSION]): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt16BE(HelloElem.versionBitmap, 0);
  body.writeUInt16BE(8, 2);
  body.writeUInt32BE(versions.reduce((bits, v) => bits | (1 << v), 0) >>> 0, 4);
  return message(MsgType.hello, xid, body);
}

/** The versions a peer's HELLO offers: its bitmap if it sends one, else every version up to its header's. */
export function helloVersions(msg: Buffer): Set<number> {
  const out = new Set<number>();
  let at = OFP_HEADER_LEN;
  while (msg.length - at >= 4) {
    const type = msg.readUInt16BE(at);
    const len = msg.readUInt16BE(at + 2);
    if (len < 4 || at + len > msg.length) throw new OpenFlowProtocolError('bad HELLO element');
    if (type === HelloElem.versionBitmap) {
      for (let w = 0; (w + 1) * 4 + 4 <= len; w++) {
        const bits = msg.readUInt32BE(at + 4 + w * 4);
        for (let i = 0; i < 32; i++) if (bits & (1 << i)) out.add(w * 32 + i);
      }
      return out;
    }
    at += (len + 7) & ~7;
  }
  for (let v = 1; v <= msg.readUInt8(0); v++) out.add(v);
  return out;
}

export interface FeaturesReply {
  readonly datapathId: bigint;
  readonly nTables: number;
}

export function decodeFeaturesReply(msg: Buffer): FeaturesReply {
  if (msg.length < 32) throw new OpenFlowProtocolError(`FEATURES_REPLY of ${msg.length} bytes`);
  return { datapathId: msg.readBigUInt64BE(8), nTables: msg.readUInt8(20) };
}

export interface ErrorReply {
  readonly type: number;
  readonly code: number;
  /** The first bytes of the request that failed (its header: what it was). */
  readonly data: Buffer;
}

export function decodeError(msg: Buffer): ErrorReply {
  if (msg.length < 12) throw new OpenFlowProtocolError(`ERROR of ${msg.length} bytes`);
  return { type: msg.readUInt16BE(8), code: msg.readUInt16BE(10), data: msg.subarray(12) };
}

/** flow_mod body (ofp_flow_mod after the header), OpenFlow 1.5. */
export function flowModBody(command: number, f: Flow, cookieMask: bigint): Buffer {
  const match = encodeMatch(f.match);
  const instructions = command === FlowModCommand.deleteStrict || command === FlowModCommand.delete ? Buffer.alloc(0) : encodeInstructions(f.actions);
  const fixed = Buffer.alloc(40);
  fixed.writeBigUInt64BE(BigInt.asUintN(64, f.cookie), 0);
  fixed.writeBigUInt64BE(BigInt.asUintN(64, cookieMask), 8);
  if (f.table < 0 || f.table > 254 || !Number.isInteger(f.table)) throw new UnsupportedFlowError(flowToText(f), `table ${f.table}`);
  if (f.priority < 0 || f.priority > 0xffff || !Number.isInteger(f.priority)) throw new UnsupportedFlowError(flowToText(f), `priority ${f.priority}`);
  fixed.writeUInt8(f.table, 16);
  fixed.writeUInt8(command, 17);
  fixed.writeUInt16BE(0, 18); // idle_timeout
  fixed.writeUInt16BE(0, 20); // hard_timeout
  fixed.writeUInt16BE(f.priority, 22);
  fixed.writeUInt32BE(OFP_NO_BUFFER, 24);
  fixed.writeUInt32BE(OFPP_ANY, 28);
  fixed.writeUInt32BE(OFPG_ANY, 32);
  fixed.writeUInt16BE(FLOW_MOD_FLAGS_NONE, 36);
  fixed.writeUInt16BE(0, 38); // importance
  return Buffer.concat([fixed, match, instructions]);
}

/** Flow-stats (OFPMP_FLOW_DESC) request body for every table, our cookie only. */
export function flowStatsRequestBody(cookie: bigint, cookieMask: bigint): Buffer {
  const b = Buffer.alloc(8 + 32);
  b.writeUInt16BE(MultipartType.flowDesc, 0);
  b.writeUInt16BE(0, 2); // flags
  b.writeUInt8(OFPTT_ALL, 8);
  b.writeUInt32BE(OFPP_ANY, 12);
  b.writeUInt32BE(OFPG_ANY, 16);
  b.writeBigUInt64BE(cookie, 24);
  b.writeBigUInt64BE(cookieMask, 32);
  return Buffer.concat([b, encodeMatch('')]);
}

// ofp15_flow_desc: length, pad, table_id, pad, priority, idle and hard timeouts, flags, importance, cookie; then the match, the OXS statistics, the instructions.
const FLOW_DESC_FIXED = 24;
const FLOW_STATS: RecordLayout = { what: 'flow stats entry', lengthAt: 0, minLength: FLOW_DESC_FIXED + 8, headerLength: FLOW_DESC_FIXED + 8 };

/**
 * Flows read by the last finished dump, by their bytes less the statistics
 * (table, priority, timeouts, flags, cookie, match, instructions): a switch
 * sends the same flows dump after dump, and a flow read before is handed
 * back as the same (immutable) object, with no decoding and with its diff
 * key already known. The switch sends them in the same order each time, so
 * each entry is first compared with the one at the same place in the last
 * dump (no hashing); a flow out of place is looked up by its bytes, and the
 * walk goes on from there. At most `max` flows of a dump are remembered.
 */
export class FlowReadCache {
  private lastKeys: string[] = [];
  private lastFlows: Flow[] = [];
  private lastIndex: Map<string, number> | undefined;
  private keys: string[] = [];
  private flows: Flow[] = [];
  private cursor = 0;

  constructor(private readonly max = 200_000) {}

  /** A dump starts: what an unfinished one read is dropped. */
  begin(): void {
    this.keys = [];
    this.flows = [];
    this.cursor = 0;
  }

  /** A dump read all its parts: the next one is compared with what this one read. */
  end(): void {
    this.lastKeys = this.keys;
    this.lastFlows = this.flows;
    this.lastIndex = undefined;
    this.begin();
  }

  /** The flow the last dump read with these bytes, if any (call in the order the entries are read). */
  get(key: string): Flow | undefined {
    const c = this.cursor;
    if (c < this.lastKeys.length && this.lastKeys[c] === key) {
      this.cursor = c + 1;
      return this.lastFlows[c];
    }
    if (this.lastIndex === undefined) {
      this.lastIndex = new Map();
      for (let i = 0; i < this.lastKeys.length; i++) this.lastIndex.set(this.lastKeys[i]!, i);
    }
    const i = this.lastIndex.get(key);
    if (i === undefined) return undefined;
    this.cursor = i + 1;
    return this.lastFlows[i];
  }

  /** Remembers a flow this dump read (known or just decoded), in read order. */
  keep(key: string, f: Flow): void {
    if (this.keys.length >= this.max) return;
    this.keys.push(key);
    this.flows.push(f);
  }
}

/**
 * The flows of one flow-stats reply part, in ovs-ofctl's printed form; throws OpenFlowProtocolError on
 * anything out of bounds. With a cache, a flow whose bytes were read before is that same flow.
 */
export function decodeFlowStatsReply(msg: Buffer, cache?: FlowReadCache): Flow[] {
  if (msg.length < 16) throw new OpenFlowProtocolError(`MULTIPART_REPLY of ${msg.length} bytes`);
  const out: Flow[] = [];
  forEachRecord(msg, 16, FLOW_STATS, (entry) => {
    const key = cache === undefined ? undefined : flowReadKey(entry);
    if (key !== undefined) {
      const known = cache!.get(key);
      if (known !== undefined) {
        out.push(known);
        cache!.keep(key, known);
        return;
      }
    }
    const table = entry.readUInt8(4);
    const priority = entry.readUInt16BE(6);
    const cookie = entry.readBigUInt64BE(16);
    const match = decodeMatch(entry, FLOW_DESC_FIXED);
    const statsAt = FLOW_DESC_FIXED + match.length;
    if (entry.length - statsAt < 4) throw new OpenFlowProtocolError('flow stats entry without statistics');
    const statsLen = entry.readUInt16BE(statsAt + 2);
    if (statsLen < 4 || statsAt + pad8(statsLen) > entry.length) throw new OpenFlowProtocolError(`flow statistics length ${statsLen}`);
    const actions = decodeInstructions(entry.subarray(statsAt + pad8(statsLen)));
    const f: Flow = { table, priority, match: match.text, actions, cookie };
    out.push(f);
    if (key !== undefined) cache!.keep(key, f);
  });
  return out;
}

/**
 * A flow-stats entry's bytes less its statistics (which change every dump), or undefined when its
 * bounds are not sound (the decoder then says what is wrong).
 */
function flowReadKey(entry: Buffer): string | undefined {
  if (entry.length < FLOW_DESC_FIXED + 4 || entry.readUInt16BE(FLOW_DESC_FIXED) !== 1) return undefined;
  const matchLen = entry.readUInt16BE(FLOW_DESC_FIXED + 2);
  const statsAt = FLOW_DESC_FIXED + pad8(matchLen);
  if (matchLen < 4 || entry.length - statsAt < 4) return undefined;
  const statsLen = entry.readUInt16BE(statsAt + 2);
  if (statsLen < 4 || statsAt + pad8(statsLen) > entry.length) return undefined;
  // The match carries its own length, so the two pieces cannot be told apart wrongly.
  return entry.toString('latin1', 4, statsAt) + entry.toString('latin1', statsAt + pad8(statsLen));
}

export function multipartFlags(msg: Buffer): number {
  if (msg.length < 12) throw new OpenFlowProtocolError(`MULTIPART_REPLY of ${msg.length} bytes`);
  return msg.readUInt16BE(10);
}

export function multipartType(msg: Buffer): number {
  return msg.readUInt16BE(8);
}

/** OFPT_BUNDLE_CONTROL body: bundle id, control type, flags. */
export function bundleControlBody(bundleId: number, type: number, flags: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(bundleId >>> 0, 0);
  b.writeUInt16BE(type, 4);
  b.writeUInt16BE(flags, 6);
  return b;
}

export function decodeBundleControl(msg: Buffer): { bundleId: number; type: number } {
  if (msg.length < 16) throw new OpenFlowProtocolError(`BUNDLE_CONTROL of ${msg.length} bytes`);
  return { bundleId: msg.readUInt32BE(8), type: msg.readUInt16BE(12) };
}

/** A whole OFPT_BUNDLE_ADD_MESSAGE carrying a flow_mod with `body`, in one allocation (the inner xid is the outer one). */
export function bundleAddFlowMod(xid: number, bundleId: number, flags: number, body: Buffer): Buffer {
  const length = 2 * OFP_HEADER_LEN + 8 + body.length;
  if (length > OFP_MAX_MESSAGE_LEN) throw new RangeError(`OpenFlow message of ${length} bytes exceeds 65535`);
  const b = Buffer.allocUnsafe(length);
  b.writeUInt8(OFP15_VERSION, 0);
  b.writeUInt8(MsgType.bundleAddMessage, 1);
  b.writeUInt16BE(length, 2);
  b.writeUInt32BE(xid >>> 0, 4);
  b.writeUInt32BE(bundleId >>> 0, 8);
  b.writeUInt16BE(0, 12);
  b.writeUInt16BE(flags, 14);
  b.writeUInt8(OFP15_VERSION, 16);
  b.writeUInt8(MsgType.flowMod, 17);
  b.writeUInt16BE(OFP_HEADER_LEN + body.length, 18);
  b.writeUInt32BE(xid >>> 0, 20);
  body.copy(b, 24);
  return b;
}

/** OFPT_BUNDLE_ADD_MESSAGE body: bundle id, flags, then the whole inner message (same xid as the outer one). */
export function bundleAddBody(bundleId: number, flags: number, inner: Buffer): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(bundleId >>> 0, 0);
  b.writeUInt16BE(flags, 6);
  return Buffer.concat([b, inner]);
}
