import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FlowReadCache, decodeFlowStatsReply } from '../../../../src/openflow/native/messages.js';
import { pad8 } from '../../../../src/openflow/native/match-codec.js';
import { OpenFlowProtocolError } from '../../../../src/openflow/native/openflow-protocol-error.js';
import type { Flow } from '../../../../src/openflow/index.js';

// A flow-stats reply recorded from a real ovs-vswitchd by test/helpers/record-openflow.ts.
const session = JSON.parse(readFileSync(new URL('../../../fixtures/openflow/ovs-session.json', import.meta.url), 'utf8')) as { messages: Record<string, string> };
const reply = Buffer.from(session.messages.flowStatsReply!, 'hex');

/** The entries of a reply (copies). */
function entries(msg: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 16; at < msg.length; at += msg.readUInt16BE(at)) out.push(Buffer.from(msg.subarray(at, at + msg.readUInt16BE(at))));
  return out;
}

/** A reply (the recorded header, length fixed) carrying `list`. */
function replyOf(list: readonly Buffer[]): Buffer {
  const msg = Buffer.concat([reply.subarray(0, 16), ...list]);
  msg.writeUInt16BE(msg.length, 2);
  return msg;
}

/** Where an entry's statistics start and how long they are. */
function stats(entry: Buffer): { at: number; length: number } {
  const at = 24 + pad8(entry.readUInt16BE(26));
  return { at, length: entry.readUInt16BE(at + 2) };
}

function dump(cache: FlowReadCache, ...msgs: Buffer[]): Flow[] {
  cache.begin();
  const out = msgs.flatMap((m) => decodeFlowStatsReply(m, cache));
  cache.end();
  return out;
}

const same = (a: readonly Flow[], b: readonly Flow[]) => a.length === b.length && a.every((f, i) => f === b[i]);

describe('FlowReadCache: a dump of flows read before decodes nothing', () => {
  it('reads a repeated reply as the very same flow objects, equal to what a decode without it reads', () => {
    const cache = new FlowReadCache();
    const first = dump(cache, reply);
    expect(first).toEqual(decodeFlowStatsReply(reply));
    expect(first.length).toBeGreaterThan(10);
    expect(same(dump(cache, reply), first)).toBe(true);
  });

  it('ignores the statistics, which change every dump', () => {
    const cache = new FlowReadCache();
    const first = dump(cache, reply);
    const aged = entries(reply).map((e) => {
      const s = stats(e);
      for (let i = s.at + 8; i < s.at + s.length; i++) e[i] = (e[i]! + 1) & 0xff; // the OXS values after the first header
      return e;
    });
    expect(same(dump(cache, replyOf(aged)), first)).toBe(true);
  });

  it('reads a flow anew when its cookie, priority, match or instructions changed, and keeps the others', () => {
    const cache = new FlowReadCache();
    const first = dump(cache, reply);
    const list = entries(reply);
    list[1]!.writeUInt8(list[1]!.readUInt8(23) ^ 1, 23); // cookie's low byte
    list[2]!.writeUInt16BE(list[2]!.readUInt16BE(6) + 1, 6); // priority
    // An output port: the first apply-actions instruction whose first action is an output.
    const out = list.findIndex((e, i) => {
      const at = stats(e).at + pad8(stats(e).length);
      return i > 2 && e.length > at + 16 && e.readUInt16BE(at) === 4 && e.readUInt16BE(at + 8) === 0;
    });
    expect(out).toBeGreaterThan(2);
    const port = stats(list[out]!).at + pad8(stats(list[out]!).length) + 12;
    list[out]!.writeUInt32BE(list[out]!.readUInt32BE(port) + 1000, port);
    const changed = replyOf(list);
    const again = dump(cache, changed);
    expect(again).toEqual(decodeFlowStatsReply(changed));
    expect(again[1]).not.toBe(first[1]);
    expect(again[1]!.cookie).toBe(first[1]!.cookie ^ 1n);
    expect(again[2]!.priority).toBe(first[2]!.priority + 1);
    expect(again[out]!.actions).not.toBe(first[out]!.actions);
    expect(again.filter((f, i) => f !== first[i]).length).toBe(3);
  });

  it('finds flows out of place (another order, one gone, one new) and reads each one as before', () => {
    const cache = new FlowReadCache();
    const first = dump(cache, reply);
    const list = entries(reply);
    const fresh = Buffer.from(list[0]!);
    fresh.writeUInt16BE(fresh.readUInt16BE(6) + 7, 6);
    const shuffled = [list[3]!, fresh, ...list.slice(4).reverse(), list[0]!, list[2]!];
    const msg = replyOf(shuffled);
    const again = dump(cache, msg);
    expect(again).toEqual(decodeFlowStatsReply(msg));
    const old = new Set(first);
    expect(again.filter((f) => !old.has(f))).toEqual([again[1]]);
    expect(again[0]).toBe(first[3]);
    expect(again.at(-1)).toBe(first[2]);
  });

  it('compares with the last finished dump: an unfinished one (a failed read) is forgotten', () => {
    const cache = new FlowReadCache();
    const first = dump(cache, reply);
    const list = entries(reply);
    for (const e of list) e.writeUInt8(e.readUInt8(23) ^ 2, 23);
    cache.begin();
    const other = decodeFlowStatsReply(replyOf(list), cache); // no end(): the dump failed
    expect(other.some((f) => first.includes(f))).toBe(false);
    expect(same(dump(cache, reply), first)).toBe(true);
  });

  it('fails a malformed entry exactly as a decode without it does, whatever it read before', () => {
    const cache = new FlowReadCache();
    dump(cache, reply);
    const outcome = (f: () => unknown) => {
      try {
        f();
        return 'ok';
      } catch (err) {
        expect(err).toBeInstanceOf(OpenFlowProtocolError);
        return (err as Error).message;
      }
    };
    const len = reply.readUInt16BE(16);
    for (let at = 16; at < 16 + len; at++) {
      for (const v of [0x00, 0xff, 0x07]) {
        const b = Buffer.from(reply);
        b.writeUInt8(v, at);
        cache.begin();
        expect(outcome(() => decodeFlowStatsReply(b, cache)), `byte ${at}=${v}`).toBe(outcome(() => decodeFlowStatsReply(b)));
      }
    }
  });

  it('remembers at most its bound of flows per dump', () => {
    const cache = new FlowReadCache(2);
    const first = dump(cache, reply);
    const again = dump(cache, reply);
    expect(again).toEqual(first);
    expect(again.filter((f, i) => f === first[i]).length).toBe(2);
  });
});
