import type { FlowEvent } from '../flow-events.js';
import { decodeInstructions } from './action-codec.js';
import { forEachRecord, type RecordLayout } from './records.js';
import { decodeMatch, encodeMatch } from './match-codec.js';
import { OpenFlowProtocolError } from './openflow-protocol-error.js';
import { FlowMonitorCommand, FlowMonitorFlag, FlowUpdateEvent, MultipartType, OFPG_ANY, OFPP_ANY, OFPTT_ALL } from './wire.js';

/** What one entry of an OFPMP_FLOW_MONITOR reply says: a flow change, or the switch pausing/resuming the monitor. */
export type FlowUpdate =
  | FlowEvent
  | (Omit<FlowEvent, 'kind'> & { readonly kind: 'INITIAL' })
  | { readonly kind: 'ABBREV'; readonly xid: number }
  | { readonly kind: 'PAUSED' | 'RESUMED' };

/**
 * Changes only (`watch:!initial`), with instructions: what `ovs-ofctl monitor`
 * asks for. OVS refuses OFPFMF_NO_ABBREV at 1.4+ (OFPMOFC_BAD_FLAGS); it is
 * not needed, since the monitor's connection sends no flow_mod of its own.
 */
export const WATCH_FLAGS = FlowMonitorFlag.add | FlowMonitorFlag.removed | FlowMonitorFlag.modify | FlowMonitorFlag.instructions;

/**
 * Multipart request body (type OFPMP_FLOW_MONITOR) adding one monitor on
 * every table, every flow: cookie filtering happens on our side, as with the
 * ovs-ofctl monitor (a 1.4+ monitor request carries no cookie).
 */
export function flowMonitorRequestBody(monitorId: number, flags: number = WATCH_FLAGS): Buffer {
  const b = Buffer.alloc(8 + 16);
  b.writeUInt16BE(MultipartType.flowMonitor, 0);
  b.writeUInt32BE(monitorId >>> 0, 8);
  b.writeUInt32BE(OFPP_ANY, 12);
  b.writeUInt32BE(OFPG_ANY, 16);
  b.writeUInt16BE(flags, 20);
  b.writeUInt8(OFPTT_ALL, 22);
  b.writeUInt8(FlowMonitorCommand.add, 23);
  return Buffer.concat([b, encodeMatch('')]);
}

// ofp_flow_update_full: length, event, table_id, reason, idle and hard timeouts, priority, zeros[4], cookie; then match, instructions.
const UPDATE_FULL_FIXED = 24;
const FLOW_UPDATES: RecordLayout = { what: 'flow update', lengthAt: 0, minLength: 8 };
const KIND: Readonly<Record<number, FlowEvent['kind'] | 'INITIAL'>> = {
  [FlowUpdateEvent.initial]: 'INITIAL',
  [FlowUpdateEvent.added]: 'ADDED',
  [FlowUpdateEvent.removed]: 'DELETED',
  [FlowUpdateEvent.modified]: 'MODIFIED',
};

/**
 * The entries of one OFPMP_FLOW_MONITOR reply, matches and actions in
 * `ovs-ofctl monitor`'s words (no priority, like its lines; a flow without
 * instructions reads `drop`). Throws
 * OpenFlowProtocolError on anything out of bounds or an unknown event.
 */
export function decodeFlowMonitorReply(msg: Buffer): FlowUpdate[] {
  if (msg.length < 16) throw new OpenFlowProtocolError(`MULTIPART_REPLY of ${msg.length} bytes`);
  if (msg.readUInt16BE(8) !== MultipartType.flowMonitor) throw new OpenFlowProtocolError(`multipart reply of type ${msg.readUInt16BE(8)} where a flow monitor reply was expected`);
  const out: FlowUpdate[] = [];
  forEachRecord(msg, 16, FLOW_UPDATES, (entry) => {
    const length = entry.length;
    const event = entry.readUInt16BE(2);
    if (event === FlowUpdateEvent.paused) out.push({ kind: 'PAUSED' });
    else if (event === FlowUpdateEvent.resumed) out.push({ kind: 'RESUMED' });
    else if (event === FlowUpdateEvent.abbrev) out.push({ kind: 'ABBREV', xid: entry.readUInt32BE(4) });
    else {
      const kind = KIND[event];
      if (kind === undefined) throw new OpenFlowProtocolError(`flow update event ${event}`);
      if (length < UPDATE_FULL_FIXED + 8) throw new OpenFlowProtocolError(`flow update length ${length}`);
      const table = entry.readUInt8(4);
      const cookie = entry.readBigUInt64BE(16);
      const match = decodeMatch(entry, UPDATE_FULL_FIXED);
      const instructions = entry.subarray(UPDATE_FULL_FIXED + match.length);
      const actions = instructions.length === 0 ? 'drop' : decodeInstructions(instructions);
      out.push({ kind, table, cookie, match: match.text, actions });
    }
  });
  return out;
}
