import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMonitorLine } from '../../../../src/openflow/index.js';
import { OfFramer, type OfMessage } from '../../../../src/openflow/native/framing.js';
import { decodeFlowMonitorReply, flowMonitorRequestBody, WATCH_FLAGS } from '../../../../src/openflow/native/monitor-codec.js';
import { encodeMatch } from '../../../../src/openflow/native/match-codec.js';
import { FlowMonitorFlag, MultipartType } from '../../../../src/openflow/native/wire.js';
import { OpenFlowProtocolError } from '../../../../src/openflow/native/openflow-protocol-error.js';

// Recorded once from a real ovs-vswitchd by test/helpers/record-openflow-monitor.ts, with ovs-ofctl's own reading of each message.
const session = JSON.parse(readFileSync(new URL('../../../fixtures/openflow/ovs-monitor-session.json', import.meta.url), 'utf8')) as {
  messages: Record<string, string>;
  ofctlPrint: Record<string, string>;
};
const recorded = (name: string): Buffer => Buffer.from(session.messages[name]!, 'hex');
const ORDER = ['monitorReply', 'added', 'modified', 'deleted', 'paused', 'resumed'];
const stream = Buffer.concat(ORDER.map(recorded));
/** What the ovs-ofctl monitor path makes of the same message: its printed lines through parseMonitorLine. */
const ofctlEvents = (name: string) => session.ofctlPrint[name]!.split('\n').map(parseMonitorLine).filter((e) => e !== undefined);

function decodeStream(chunks: Buffer[]) {
  const f = new OfFramer();
  return chunks.flatMap((c) => f.push(c)).flatMap((m: OfMessage) => decodeFlowMonitorReply(m.bytes));
}

describe('flow monitor codec on bytes a real ovs-vswitchd sent', () => {
  it('reads adds, modifications and removals as the ovs-ofctl monitor path reads them', () => {
    for (const name of ['added', 'modified', 'deleted']) {
      expect(decodeFlowMonitorReply(recorded(name)), name).toEqual(ofctlEvents(name));
    }
    expect(decodeFlowMonitorReply(recorded('modified'))).toEqual([
      { kind: 'MODIFIED', table: 20, cookie: 0x6e73000000000042n, match: 'metadata=0x7,dl_dst=02:00:00:00:00:07', actions: 'set_field:02:00:00:00:00:08->eth_src,goto_table:30' },
    ]);
  });

  it('reads the reply to the monitor request (no initial flows asked) as empty, and the pause and resume as such', () => {
    expect(decodeFlowMonitorReply(recorded('monitorReply'))).toEqual([]);
    expect(decodeFlowMonitorReply(recorded('paused'))).toEqual([{ kind: 'PAUSED' }]);
    expect(decodeFlowMonitorReply(recorded('resumed'))).toEqual([{ kind: 'RESUMED' }]);
    // The ovs-ofctl path reads both as LOST: a resync either way.
    expect(ofctlEvents('paused')).toEqual([{ kind: 'LOST' }]);
    expect(ofctlEvents('resumed')).toEqual([{ kind: 'LOST' }]);
  });

  it('decodes the same updates wherever the recorded stream is split', () => {
    const whole = decodeStream([stream]);
    expect(whole.map((u) => u.kind)).toEqual(['ADDED', 'MODIFIED', 'DELETED', 'PAUSED', 'RESUMED']);
    for (let at = 0; at <= stream.length; at++) {
      expect(decodeStream([stream.subarray(0, at), stream.subarray(at)]), `split at ${at}`).toEqual(whole);
    }
  });

  it('refuses truncated or inconsistent entries, unknown events and other multipart types', () => {
    const added = recorded('added');
    const bad = (mutate: (b: Buffer) => Buffer) => () => decodeFlowMonitorReply(mutate(Buffer.from(added)));
    expect(bad((b) => b.subarray(0, b.length - 8))).toThrow(OpenFlowProtocolError); // entry longer than the message
    expect(bad((b) => (b.writeUInt16BE(0x0a, 16), b))).toThrow(OpenFlowProtocolError); // entry length not a multiple of 8
    expect(bad((b) => (b.writeUInt16BE(9, 18), b))).toThrow(/event 9/);
    expect(bad((b) => (b.writeUInt16BE(MultipartType.flowDesc, 8), b))).toThrow(OpenFlowProtocolError);
    expect(bad((b) => (b.writeUInt16BE(0x00ff, 42), b))).toThrow(OpenFlowProtocolError); // match length past the entry
    expect(() => decodeFlowMonitorReply(Buffer.from('0613000c00000000', 'hex'))).toThrow(OpenFlowProtocolError);
  });

  it('asks for every table, every flow, changes only, with instructions', () => {
    const b = flowMonitorRequestBody(7);
    expect(b.readUInt16BE(0)).toBe(MultipartType.flowMonitor);
    expect(b.readUInt32BE(8)).toBe(7);
    expect(b.readUInt16BE(20)).toBe(WATCH_FLAGS);
    expect(WATCH_FLAGS & FlowMonitorFlag.initial).toBe(0);
    expect(WATCH_FLAGS & FlowMonitorFlag.noAbbrev).toBe(0); // OVS refuses it at 1.4+
    expect(b.readUInt8(22)).toBe(0xff);
    expect(b.subarray(24).equals(encodeMatch(''))).toBe(true);
  });
});
