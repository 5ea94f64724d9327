import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDumpFlows, flowKey, type Flow } from '../../../../src/openflow/index.js';
import { pipelineFlows } from '../../../../src/core/pipeline/index.js';
import { OfFramer, type OfMessage } from '../../../../src/openflow/native/framing.js';
import { bundleAddBody, bundleAddFlowMod, decodeBundleControl, decodeError, decodeFeaturesReply, decodeFlowStatsReply, flowModBody, helloVersions, message, multipartFlags } from '../../../../src/openflow/native/messages.js';
import { decodeMatch, encodeMatch, formatOxms, decodeOxms } from '../../../../src/openflow/native/match-codec.js';
import { decodeInstructions, encodeInstructions } from '../../../../src/openflow/native/action-codec.js';
import { BundleCtrl, FlowModCommand, MsgType } from '../../../../src/openflow/native/wire.js';
import { OpenFlowProtocolError } from '../../../../src/openflow/native/openflow-protocol-error.js';
import { UnsupportedFlowError } from '../../../../src/openflow/native/unsupported-flow-error.js';
import { RECORDED_GATEWAYS, RECORDED_PORTS } from '../../../helpers/record-openflow.js';

// Recorded once from a real ovs-vswitchd by test/helpers/record-openflow.ts.
const session = JSON.parse(readFileSync(new URL('../../../fixtures/openflow/ovs-session.json', import.meta.url), 'utf8')) as {
  ofctlDump: string;
  messages: Record<string, string>;
};
const recorded = (name: string): Buffer => Buffer.from(session.messages[name]!, 'hex');
const ORDER = ['hello', 'featuresReply', 'echoReply', 'barrierReply', 'flowStatsReply', 'bundleOpenReply', 'bundleAddError', 'bundleDiscardReply', 'bundleCommitReply', 'bundleCommitError'];
const stream = Buffer.concat(ORDER.map(recorded));

function frameAll(chunks: Buffer[]): OfMessage[] {
  const f = new OfFramer();
  return chunks.flatMap((c) => f.push(c));
}

const byKey = (flows: readonly Flow[]) => new Map(flows.map((f) => [`${f.cookie}|${flowKey(f)}`, f]));

describe('OpenFlow framing on bytes a real ovs-vswitchd sent', () => {
  it('cuts the recorded session into the same messages wherever the stream is split', () => {
    const whole = frameAll([stream]);
    expect(whole.map((m) => m.bytes.toString('hex'))).toEqual(ORDER.map((n) => session.messages[n]));
    for (let at = 0; at <= stream.length; at++) {
      const split = frameAll([stream.subarray(0, at), stream.subarray(at)]);
      expect(split.length, `split at ${at}`).toBe(whole.length);
      expect(Buffer.concat(split.map((m) => m.bytes)).equals(stream), `split at ${at}`).toBe(true);
    }
  });

  it('reads the session one byte at a time', () => {
    const bytes = [...stream].map((b) => Buffer.from([b]));
    expect(frameAll(bytes).map((m) => m.type)).toEqual(frameAll([stream]).map((m) => m.type));
  });

  it('refuses a length shorter than the header and a version other than the negotiated one', () => {
    expect(() => new OfFramer().push(Buffer.from('0600000400000001', 'hex'))).toThrow(OpenFlowProtocolError);
    expect(() => new OfFramer(6).push(Buffer.from('0400000800000001', 'hex'))).toThrow(/version/);
    expect(() => new OfFramer().push(Buffer.from('7f00000800000001', 'hex'))).toThrow(/version/);
  });

  it('holds at most one incomplete message', () => {
    const f = new OfFramer(6);
    expect(f.push(Buffer.from('0613ffff00000001', 'hex'))).toEqual([]);
    expect(f.pending).toBe(8);
  });
});

describe('OpenFlow 1.5 messages recorded from ovs-vswitchd', () => {
  it('reads HELLO version bitmaps and FEATURES_REPLY', () => {
    expect([...helloVersions(recorded('hello'))].sort()).toEqual([4, 6]);
    const features = decodeFeaturesReply(recorded('featuresReply'));
    expect(features.nTables).toBeGreaterThan(0);
    expect(features.datapathId).toBeGreaterThan(0n);
  });

  it('reads bundle control replies and errors', () => {
    expect(decodeBundleControl(recorded('bundleOpenReply'))).toEqual({ bundleId: 7, type: BundleCtrl.openReply });
    expect(decodeBundleControl(recorded('bundleDiscardReply'))).toEqual({ bundleId: 7, type: BundleCtrl.discardReply });
    expect(decodeBundleControl(recorded('bundleCommitReply'))).toEqual({ bundleId: 12, type: BundleCtrl.commitReply });
    // goto_table backwards: OFPET_BAD_INSTRUCTION / OFPBIC_BAD_TABLE_ID, echoing the bundle-add message.
    const addErr = decodeError(recorded('bundleAddError'));
    expect({ type: addErr.type, code: addErr.code }).toEqual({ type: 3, code: 2 });
    expect(addErr.data.readUInt8(1)).toBe(MsgType.bundleAddMessage);
    // Commit of a bundle that does not exist: OFPET_BUNDLE_FAILED / OFPBFC_BAD_ID.
    const commitErr = decodeError(recorded('bundleCommitError'));
    expect({ type: commitErr.type, code: commitErr.code }).toEqual({ type: 17, code: 2 });
  });

  it('decodes the flow-stats reply into exactly what ovs-ofctl printed for the same flows', () => {
    const reply = recorded('flowStatsReply');
    expect(multipartFlags(reply)).toBe(0);
    const native = decodeFlowStatsReply(reply);
    const ofctl = parseDumpFlows(session.ofctlDump);
    expect(native).toHaveLength(ofctl.length);
    expect(native).toEqual(ofctl);
  });

  it('encodes each pipeline flow to the match and instructions the switch printed back', () => {
    const desired = pipelineFlows(RECORDED_PORTS, RECORDED_GATEWAYS);
    const dumped = byKey(parseDumpFlows(session.ofctlDump));
    for (const f of desired) {
      const d = dumped.get(`${f.cookie}|${flowKey(f)}`);
      expect(d, f.match).toBeDefined();
      expect(decodeMatch(encodeMatch(f.match), 0).text).toBe(d!.match);
      expect(decodeInstructions(encodeInstructions(f.actions))).toBe(d!.actions);
    }
  });

  it('encodes every match as the same OXM TLVs the switch returns (OVS orders them its own way)', () => {
    const desired = byKey(pipelineFlows(RECORDED_PORTS, RECORDED_GATEWAYS));
    const reply = recorded('flowStatsReply');
    let at = 16;
    let n = 0;
    while (at < reply.length) {
      const len = reply.readUInt16BE(at);
      const entry = reply.subarray(at, at + len);
      const [flow] = decodeFlowStatsReply(Buffer.concat([reply.subarray(0, 16), entry]));
      const mine = encodeMatch(desired.get(`${flow!.cookie}|${flowKey(flow!)}`)!.match);
      const tlvs = (m: Buffer) => decodeOxms(m.subarray(4, m.readUInt16BE(2))).map((e) => `${e.id.toString(16)}=${e.value.toString('hex')}/${e.mask?.toString('hex') ?? ''}`).sort();
      const theirs = entry.subarray(24, 24 + entry.readUInt16BE(26));
      expect(mine.readUInt16BE(2), flow!.match).toBe(theirs.readUInt16BE(2));
      expect(tlvs(mine), flow!.match).toEqual(tlvs(theirs));
      at += len;
      n++;
    }
    expect(n).toBe(desired.size);
  });
});

describe('flow_mod encoding', () => {
  it('writes the fixed part of an OpenFlow 1.5 flow_mod', () => {
    const f: Flow = { table: 10, priority: 100, match: 'arp,metadata=0xc8,arp_tpa=10.77.0.2,arp_op=1', actions: 'IN_PORT', cookie: 0x6e730000c8000020n };
    const b = flowModBody(FlowModCommand.deleteStrict, f, (1n << 64n) - 1n);
    expect(b.readBigUInt64BE(0)).toBe(f.cookie);
    expect(b.readBigUInt64BE(8)).toBe((1n << 64n) - 1n);
    expect([b.readUInt8(16), b.readUInt8(17), b.readUInt16BE(22)]).toEqual([10, FlowModCommand.deleteStrict, 100]);
    expect(b.readUInt32BE(28)).toBe(0xffffffff); // out_port ANY
    // A delete carries the match and no instructions.
    expect(b.length).toBe(40 + encodeMatch(f.match).length);
  });

  it('wraps a flow_mod in a bundle-add message with the same xid inside and out', () => {
    const body = flowModBody(FlowModCommand.add, { table: 0, priority: 5, match: 'in_port=3', actions: 'drop', cookie: 7n }, 0n);
    const direct = bundleAddFlowMod(0x1234, 9, 3, body);
    expect(direct.equals(message(MsgType.bundleAddMessage, 0x1234, bundleAddBody(9, 3, message(MsgType.flowMod, 0x1234, body))))).toBe(true);
  });

  it('refuses what it cannot encode', () => {
    expect(() => encodeInstructions('resubmit(,10)')).toThrow(UnsupportedFlowError);
    expect(() => encodeMatch('ct_state=+trk')).toThrow(UnsupportedFlowError);
    expect(() => encodeMatch('tp_src=67')).toThrow(/tcp or udp/);
    expect(() => encodeMatch('dl_src=02:00:00:00:00')).toThrow(/MAC/);
    expect(() => encodeMatch('nw_src=10.0.0.256')).toThrow(/IPv4/);
    expect(() => encodeInstructions('goto_table:300')).toThrow(UnsupportedFlowError);
  });

  it('round-trips fields it does not name through the generic oxm_ form', () => {
    // OXM_OF_IPV6_FLABEL (field 28) is not in our table: printed generically, encoded back byte for byte.
    const raw = Buffer.from('80003804000012348000390800000001000fffff', 'hex');
    const text = formatOxms(decodeOxms(raw));
    expect(text).toBe('oxm_8000_1c=0x00001234,oxm_8000_1c=0x00000001/0x000fffff');
    expect(encodeMatch(text).subarray(4, 4 + raw.length).equals(raw)).toBe(true);
  });

  it('prints prefixes and masks the way ovs-ofctl does', () => {
    expect(decodeMatch(encodeMatch('ip,nw_src=10.1.0.0/16'), 0).text).toBe('ip,nw_src=10.1.0.0/16');
    expect(decodeMatch(encodeMatch('ip,nw_dst=10.1.0.0/255.0.255.0'), 0).text).toBe('ip,nw_dst=10.1.0.0/255.0.255.0');
    expect(decodeMatch(encodeMatch('tcp,tp_dst=80'), 0).text).toBe('tcp,tp_dst=80');
    expect(decodeMatch(encodeMatch('metadata=0x5/0xff,in_port=LOCAL'), 0).text).toBe('metadata=0x5/0xff,in_port=LOCAL');
    expect(decodeInstructions(encodeInstructions('move:NXM_OF_ETH_SRC[0..15]->NXM_OF_ETH_DST[8..23],output:4'))).toBe('move:NXM_OF_ETH_SRC[0..15]->NXM_OF_ETH_DST[8..23],output:4');
    expect(decodeInstructions(encodeInstructions('drop'))).toBe('drop');
  });
});

describe('malformed input from the switch', () => {
  it('fails a truncated or overrunning flow-stats entry with a protocol error, never anything else', () => {
    const reply = recorded('flowStatsReply');
    // Every truncation, and every single-byte corruption of the first entry, either decodes or throws OpenFlowProtocolError.
    for (let cut = 17; cut < Math.min(reply.length, 400); cut++) {
      const b = Buffer.from(reply.subarray(0, cut));
      try {
        decodeFlowStatsReply(b);
      } catch (err) {
        expect(err, `cut at ${cut}`).toBeInstanceOf(OpenFlowProtocolError);
      }
    }
    for (let at = 16; at < 16 + reply.readUInt16BE(16); at++) {
      for (const v of [0x00, 0xff, 0x07]) {
        const b = Buffer.from(reply);
        b.writeUInt8(v, at);
        try {
          decodeFlowStatsReply(b);
        } catch (err) {
          expect(err, `byte ${at}=${v}`).toBeInstanceOf(OpenFlowProtocolError);
        }
      }
    }
  });
});
