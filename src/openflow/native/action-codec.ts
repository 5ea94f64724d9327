import { splitTopLevel } from '../canonical-match.js';
import { FIELD_ALIASES, FIELD_BY_NAME, FIELD_BY_NXM_NAME, FIELD_BY_OXM_ID, SET_FIELD_NAMES, fieldOxmId, type FieldSpec } from './fields.js';
import { decodeOxms, encodeOxms, formatOxms, oxmId, pad8, parseMatch, type OxmEntry } from './match-codec.js';
import { Action, Instruction, NX_VENDOR_ID, NxAction, OFPP_NAMES } from './wire.js';
import { UnsupportedFlowError } from './unsupported-flow-error.js';
import { forEachRecord, type RecordLayout } from './records.js';
import { BoundedMap, boundedMemo } from '../bounded-memo.js';
import { bytesUint, formatMask, formatValue, parseUint, uintBytes } from './values.js';

/**
 * Actions and instructions in ovs-ofctl's text (the subset the pipeline
 * writes: output, IN_PORT, set_field, move, write_metadata, goto_table,
 * drop) to OpenFlow 1.5 instructions, and back in the exact text OVS prints,
 * so a native dump diffs against desired flows like an ovs-ofctl dump.
 * Many flows share their actions (the per-tenant write_metadata/goto_table,
 * drop): each text is encoded once.
 */
export const encodeInstructions: (text: string) => Buffer = boundedMemo(2_048, (text) => ownBytes(encodeInstructionsNow(text)));

/** A buffer of its own: a small slice of node's shared 8 KiB pool, kept in a memo, would keep the whole pool slab alive. */
function ownBytes(b: Buffer): Buffer {
  if (b.byteOffset === 0 && b.buffer.byteLength === b.length) return b;
  const own = Buffer.alloc(b.length);
  b.copy(own);
  return own;
}

function encodeInstructionsNow(text: string): Buffer {
  const actions: Buffer[] = [];
  let writeMetadata: Buffer | undefined;
  let gotoTable: Buffer | undefined;
  const tokens = splitTopLevel(text);
  if (tokens.length === 1 && tokens[0] === 'drop') return Buffer.alloc(0);
  for (const token of tokens) {
    const colon = token.indexOf(':');
    const verb = colon < 0 ? token : token.slice(0, colon);
    const arg = colon < 0 ? '' : token.slice(colon + 1);
    if (verb === 'goto_table') {
      gotoTable = Buffer.alloc(8);
      gotoTable.writeUInt16BE(Instruction.gotoTable, 0);
      gotoTable.writeUInt16BE(8, 2);
      gotoTable.writeUInt8(Number(parseUint(arg, 1, text, 'goto_table')), 4);
    } else if (verb === 'write_metadata') {
      const [v, m] = arg.split('/');
      writeMetadata = Buffer.alloc(24);
      writeMetadata.writeUInt16BE(Instruction.writeMetadata, 0);
      writeMetadata.writeUInt16BE(24, 2);
      uintBytes(parseUint(v ?? '', 8, text, 'write_metadata'), 8).copy(writeMetadata, 8);
      (m === undefined ? Buffer.alloc(8, 0xff) : uintBytes(parseUint(m, 8, text, 'write_metadata mask'), 8)).copy(writeMetadata, 16);
    } else if (verb === 'output') {
      actions.push(outputAction(port(arg, text)));
    } else if (colon < 0 && portByName(token) !== undefined) {
      actions.push(outputAction(portByName(token)!));
    } else if (colon < 0 && /^\d+$/.test(token)) {
      actions.push(outputAction(port(token, text)));
    } else if (verb === 'set_field') {
      actions.push(setFieldAction(arg, text));
    } else if (verb === 'move') {
      actions.push(copyFieldAction(arg, text));
    } else {
      throw new UnsupportedFlowError(text, `action '${verb}'`);
    }
  }
  const parts: Buffer[] = [];
  if (actions.length > 0) {
    const body = Buffer.concat(actions);
    const h = Buffer.alloc(8);
    h.writeUInt16BE(Instruction.applyActions, 0);
    h.writeUInt16BE(8 + body.length, 2);
    parts.push(h, body);
  }
  if (writeMetadata) parts.push(writeMetadata);
  if (gotoTable) parts.push(gotoTable);
  return Buffer.concat(parts);
}

function portByName(name: string): number | undefined {
  for (const [n, v] of OFPP_NAMES) if (v === name) return n;
  return undefined;
}

function port(text: string, context: string): number {
  return portByName(text) ?? Number(parseUint(text, 4, context, 'output port'));
}

function outputAction(p: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16BE(Action.output, 0);
  b.writeUInt16BE(16, 2);
  b.writeUInt32BE(p >>> 0, 4);
  // max_len only matters for CONTROLLER; OFPCML_NO_BUFFER there, as ovs-ofctl sends.
  b.writeUInt16BE(p === 0xfffffffd ? 0xffff : 0, 8);
  return b;
}

function setFieldAction(arg: string, context: string): Buffer {
  const arrow = arg.lastIndexOf('->');
  if (arrow < 0) throw new UnsupportedFlowError(context, `set_field without '->'`);
  const field = arg.slice(arrow + 2);
  const entries = parseMatch(`${field}=${arg.slice(0, arrow)}`);
  if (entries.length !== 1) throw new UnsupportedFlowError(context, `set_field:${arg}`);
  const oxm = encodeOxms(entries);
  const b = Buffer.alloc(pad8(4 + oxm.length));
  b.writeUInt16BE(Action.setField, 0);
  b.writeUInt16BE(b.length, 2);
  oxm.copy(b, 4);
  return b;
}

interface Subfield {
  readonly spec: FieldSpec;
  readonly ofs: number;
  readonly bits: number;
}

function parseSubfield(text: string, context: string): Subfield {
  const m = /^([A-Za-z0-9_]+)\[(?:(\d+)(?:\.\.(\d+))?)?\]$/.exec(text);
  const s = m ? (FIELD_BY_NXM_NAME.get(m[1]!) ?? FIELD_BY_NAME.get(FIELD_ALIASES.get(m[1]!) ?? m[1]!)) : undefined;
  if (!m || !s) throw new UnsupportedFlowError(context, `move field '${text}'`);
  const width = s.bytes * 8;
  if (m[2] === undefined) return { spec: s, ofs: 0, bits: width };
  const lo = Number(m[2]);
  const hi = m[3] === undefined ? lo : Number(m[3]);
  if (hi < lo || hi >= width) throw new UnsupportedFlowError(context, `move range '${text}'`);
  return { spec: s, ofs: lo, bits: hi - lo + 1 };
}

// OpenFlow 1.5's copy_field (what ovs-ofctl sends for `move` at 1.5), with OXM ids.
function copyFieldAction(arg: string, context: string): Buffer {
  const arrow = arg.indexOf('->');
  if (arrow < 0) throw new UnsupportedFlowError(context, `move without '->'`);
  const src = parseSubfield(arg.slice(0, arrow), context);
  const dst = parseSubfield(arg.slice(arrow + 2), context);
  if (src.bits !== dst.bits) throw new UnsupportedFlowError(context, `move of unequal widths '${arg}'`);
  const b = Buffer.alloc(24);
  b.writeUInt16BE(Action.copyField, 0);
  b.writeUInt16BE(24, 2);
  b.writeUInt16BE(src.bits, 4);
  b.writeUInt16BE(src.ofs, 6);
  b.writeUInt16BE(dst.ofs, 8);
  b.writeUInt32BE((fieldOxmId(src.spec) | src.spec.bytes) >>> 0, 12);
  b.writeUInt32BE((fieldOxmId(dst.spec) | dst.spec.bytes) >>> 0, 16);
  return b;
}

/**
 * Reads instructions (to the end of `b`) into ovs-ofctl's actions text. Many flows share their
 * instructions and a switch sends them again every dump: memoised by the bytes (bounded), only what
 * decoded.
 */
export function decodeInstructions(b: Buffer): string {
  const key = b.toString('latin1');
  const hit = decodedInstructions.get(key);
  if (hit !== undefined) return hit;
  const text = decodeInstructionsNow(b);
  decodedInstructions.set(key, text);
  return text;
}

const decodedInstructions = new BoundedMap<string>(2_048);

function decodeInstructionsNow(b: Buffer): string {
  const out: string[] = [];
  const tail: string[] = [];
  forEachRecord(b, 0, INSTRUCTIONS, (body) => {
    const type = body.readUInt16BE(0);
    const len = body.length;
    if (type === Instruction.applyActions && len >= 8) out.push(...decodeActions(body.subarray(8)));
    else if (type === Instruction.writeMetadata && len === 24) {
      const v = bytesUint(body.subarray(8, 16));
      const m = bytesUint(body.subarray(16, 24));
      tail.push(`write_metadata:0x${v.toString(16)}${m === (1n << 64n) - 1n ? '' : `/0x${m.toString(16)}`}`);
    } else if (type === Instruction.gotoTable && len === 8) tail.push(`goto_table:${body.readUInt8(4)}`);
    else tail.push(`instruction(type=${type},0x${body.subarray(4).toString('hex')})`);
  });
  const all = [...out, ...tail];
  return all.length === 0 ? 'drop' : all.join(',');
}

const INSTRUCTIONS: RecordLayout = { what: 'instruction', lengthAt: 2, minLength: 4 };
const ACTIONS: RecordLayout = { what: 'action', lengthAt: 2, minLength: 8 };

function decodeActions(b: Buffer): string[] {
  const out: string[] = [];
  forEachRecord(b, 0, ACTIONS, (a) => out.push(decodeAction(a.readUInt16BE(0), a)));
  return out;
}

function decodeAction(type: number, a: Buffer): string {
  if (type === Action.output && a.length === 16) {
    const p = a.readUInt32BE(4);
    if (p === 0xfffffffd) return `CONTROLLER:${a.readUInt16BE(8)}`;
    return OFPP_NAMES.get(p) ?? `output:${p}`;
  }
  if (type === Action.setField) {
    const oxmLen = a.length >= 8 ? 4 + (a.readUInt32BE(4) & 0xff) : 0;
    if (oxmLen > 4 && 4 + oxmLen <= a.length) {
      const [e] = decodeOxms(a.subarray(4, 4 + oxmLen));
      if (e) return `set_field:${setFieldText(e)}`;
    }
  }
  if (type === Action.copyField && a.length === 24) {
    const bits = a.readUInt16BE(4);
    const src = subfieldText(a.readUInt32BE(12), a.readUInt16BE(6), bits, false);
    const dst = subfieldText(a.readUInt32BE(16), a.readUInt16BE(8), bits, false);
    if (src && dst) return `move:${src}->${dst}`;
  }
  if (type === Action.experimenter && a.length === 24 && a.readUInt32BE(4) === NX_VENDOR_ID && a.readUInt16BE(8) === NxAction.regMove) {
    const bits = a.readUInt16BE(10);
    const src = subfieldText(a.readUInt32BE(16), a.readUInt16BE(12), bits, true);
    const dst = subfieldText(a.readUInt32BE(20), a.readUInt16BE(14), bits, true);
    if (src && dst) return `move:${src}->${dst}`;
  }
  // Not ours: printed so it round-trips as text and never equals a desired flow.
  return `action(type=${type},0x${a.subarray(4).toString('hex')})`;
}

function setFieldText(e: OxmEntry): string {
  const s = FIELD_BY_OXM_ID.get(e.id);
  if (!s || s.bytes !== e.value.length || s.name === 'vlan_tci' || s.name === 'in_port') {
    const printed = formatOxms([e]);
    const eq = printed.indexOf('=');
    return `${printed.slice(eq + 1)}->${printed.slice(0, eq)}`;
  }
  return `${formatValue(s, e.value)}${formatMask(s, e.mask)}->${SET_FIELD_NAMES.get(s.name) ?? s.name}`;
}

// OVS prints `move` fields by their NXM names, `[]` for the whole field.
function subfieldText(header: number, ofs: number, bits: number, nxm: boolean): string | undefined {
  const cls = header >>> 16;
  const field = (header >>> 9) & 0x7f;
  const s = nxm ? FIELD_BY_NXM_HEADER.get(oxmId(cls, field)) : FIELD_BY_OXM_ID.get(oxmId(cls, field));
  if (!s?.nxm) return undefined;
  const width = s.bytes * 8;
  if (ofs + bits > width || bits === 0) return undefined;
  const range = ofs === 0 && bits === width ? '' : bits === 1 ? `${ofs}` : `${ofs}..${ofs + bits - 1}`;
  return `${s.nxm.name}[${range}]`;
}

// The first field in FIELD_BY_NXM_NAME's order with this NXM class and field (as the search it replaces found).
const FIELD_BY_NXM_HEADER: ReadonlyMap<number, FieldSpec> = (() => {
  const m = new Map<number, FieldSpec>();
  for (const f of FIELD_BY_NXM_NAME.values()) {
    const id = oxmId(f.nxm!.cls, f.nxm!.field);
    if (!m.has(id)) m.set(id, f);
  }
  return m;
})();
