import { describe, expect, it } from 'vitest';
import { ExpectedFlows, SENT_GRACE_MS, SENT_MAX } from '../../../src/openflow/expected-flows.js';
import { OWNER_COOKIE, encodeCookie } from '../../../src/core/pipeline/cookie.js';
import type { Flow } from '../../../src/openflow/flow.js';
import type { FlowEvent } from '../../../src/openflow/flow-events.js';

const cookie = encodeCookie(0x21c, 0x30);
const flood = (ports: string): Flow => ({ table: 20, priority: 50, match: 'metadata=0x21c,dl_dst=ff:ff:ff:ff:ff:ff', actions: ports, cookie });
const unicast = (mac: string): Flow => ({ table: 20, priority: 100, match: `metadata=0x21c,dl_dst=${mac}`, actions: 'output:1', cookie });
const ev = (kind: FlowEvent['kind'], f: Flow): FlowEvent => ({ kind, table: f.table, cookie: f.cookie, match: f.match, actions: f.actions });

const clock = () => {
  let t = 1_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

/** Wants `flows` and sends what changed from `before` (as a sync does). */
function send(e: ExpectedFlows, add: Flow[], del: Flow[], wanted: Flow[]): void {
  e.expect(wanted);
  e.sending({ add, del });
}

describe('ExpectedFlows', () => {
  it('judges nothing before the first set is wanted', () => {
    expect(new ExpectedFlows(OWNER_COOKIE).judge(ev('DELETED', unicast('02:00:00:00:00:01')))).toBeUndefined();
  });

  it('takes the late update of a rewrite sent just before the current one as ours (the flood flow rewritten twice)', () => {
    const e = new ExpectedFlows(OWNER_COOKIE, clock().now);
    send(e, [flood('output:1,output:2')], [], [flood('output:1,output:2')]);
    send(e, [flood('output:1,output:2,output:3')], [], [flood('output:1,output:2,output:3')]);
    // The first rewrite's update arrives after the second was sent.
    expect(e.judge(ev('MODIFIED', flood('output:1,output:2')))).toBeUndefined();
    expect(e.judge(ev('MODIFIED', flood('output:1,output:2,output:3')))).toBeUndefined();
    // A rewrite we never sent is foreign.
    expect(e.judge(ev('MODIFIED', flood('drop')))).toBe('modified');
  });

  it('takes the late deletion of a flow we deleted and want again as ours; the deletion of a flow we never deleted is foreign, however new', () => {
    const e = new ExpectedFlows(OWNER_COOKIE, clock().now);
    const a = unicast('02:00:00:00:00:01');
    const b = unicast('02:00:00:00:00:02');
    const c = unicast('02:00:00:00:00:03');
    send(e, [a, b], [], [a, b]);
    send(e, [], [b], [a]);
    send(e, [b, c], [], [a, b, c]);
    expect(e.judge(ev('DELETED', b))).toBeUndefined();
    expect(e.judge(ev('DELETED', a))).toBe('deleted');
    // c was only ever added: someone else deleted it.
    expect(e.judge(ev('DELETED', c))).toBe('deleted');
    // b's late ADDED after its deletion: the add we sent explains it.
    send(e, [], [b], [a, c]);
    expect(e.judge(ev('ADDED', b))).toBeUndefined();
    expect(e.judge(ev('ADDED', { ...b, match: 'metadata=0x21c,dl_dst=02:00:00:00:00:09' }))).toBe('added');
  });

  it('stops explaining by a change after the grace time, and keeps at most the newest changes', () => {
    const c = clock();
    const e = new ExpectedFlows(OWNER_COOKIE, c.now);
    send(e, [flood('output:1')], [], [flood('output:1')]);
    send(e, [flood('output:1,output:2')], [], [flood('output:1,output:2')]);
    c.advance(SENT_GRACE_MS + 1);
    expect(e.judge(ev('MODIFIED', flood('output:1')))).toBe('modified');
    expect(e.sentCount).toBe(0);
    for (let i = 0; i < SENT_MAX + 5; i++) send(e, [flood(`output:${i}`)], [], [flood(`output:${i}`)]);
    expect(e.sentCount).toBe(SENT_MAX);
    // The oldest changes fell out; the newest still explain.
    expect(e.judge(ev('MODIFIED', flood('output:0')))).toBe('modified');
    expect(e.judge(ev('MODIFIED', flood('output:5')))).toBeUndefined();
  });

  it('forgets the sent changes on request, keeping the wanted flows', () => {
    const e = new ExpectedFlows(OWNER_COOKIE);
    send(e, [flood('output:1')], [], [flood('output:1')]);
    send(e, [flood('output:2')], [], [flood('output:2')]);
    e.forgetSent();
    expect(e.sentCount).toBe(0);
    expect(e.judge(ev('MODIFIED', flood('output:1')))).toBe('modified');
    expect(e.judge(ev('MODIFIED', flood('output:2')))).toBeUndefined();
  });
});
