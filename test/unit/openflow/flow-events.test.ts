import { describe, expect, it } from 'vitest';
import { expectedByWatchKey, foreignChange, parseMonitorLine, watchKey, type FlowEvent } from '../../../src/openflow/flow-events.js';
import { OWNER_COOKIE, encodeCookie } from '../../../src/core/pipeline/cookie.js';
import type { Flow } from '../../../src/openflow/flow.js';

const ours = encodeCookie(0x21c, 0x30);

describe('parseMonitorLine', () => {
  it('reads added, modified and deleted updates as ovs-ofctl monitor prints them', () => {
    expect(parseMonitorLine(` event=ADDED table=20 cookie=0x6e7300021c000030 metadata=0x21c,dl_dst=02:15:81:f7:5c:7b actions=output:1`)).toEqual(
      { kind: 'ADDED', table: 20, cookie: ours, match: 'metadata=0x21c,dl_dst=02:15:81:f7:5c:7b', actions: 'output:1' });
    expect(parseMonitorLine(' event=DELETED reason=delete table=0 cookie=0x6e7300021c000012 in_port=3')).toEqual(
      { kind: 'DELETED', table: 0, cookie: 0x6e7300021c000012n, match: 'in_port=3', actions: 'drop' });
    expect(parseMonitorLine(' event=MODIFIED table=10 cookie=0x6e73000000000003  actions=goto_table:20')).toEqual(
      { kind: 'MODIFIED', table: 10, cookie: 0x6e73000000000003n, match: '', actions: 'goto_table:20' });
  });

  it('reads a flow that drops (printed without actions) as drop, with an empty match', () => {
    expect(parseMonitorLine(' event=ADDED table=0 cookie=0x6e73000000000001 ')).toEqual({ kind: 'ADDED', table: 0, cookie: 0x6e73000000000001n, match: '', actions: 'drop' });
  });

  it('skips headers and reports a paused monitor as LOST', () => {
    expect(parseMonitorLine('OFPST_FLOW_MONITOR reply (OF1.5) (xid=0x0):')).toBeUndefined();
    expect(parseMonitorLine('')).toBeUndefined();
    expect(parseMonitorLine('OFPT_FLOW_MONITOR_PAUSED (OF1.5) (xid=0x0):')).toEqual({ kind: 'LOST' });
  });
});

describe('foreignChange', () => {
  const unicast: Flow = { table: 20, priority: 100, match: 'metadata=0x21c,dl_dst=02:15:81:f7:5c:7b', actions: 'output:1', cookie: ours };
  const expected = expectedByWatchKey([unicast]);
  const ev = (kind: FlowEvent['kind'], over: Partial<FlowEvent> = {}): FlowEvent => ({ kind, table: 20, cookie: ours, match: 'dl_dst=02:15:81:f7:5c:7b,metadata=0x21c', actions: 'output:1', ...over });

  it('keys by table and canonical match, whatever the field order', () => {
    expect(watchKey(20, 'dl_dst=02:15:81:f7:5c:7b,metadata=0x21c')).toBe(watchKey(20, unicast.match));
  });

  it('keys the flows it expects exactly as watchKey keys an update, for any table, priority and spelling', () => {
    const flows: Flow[] = [
      unicast,
      { table: 0, priority: 0, match: '', actions: 'drop', cookie: ours },
      { table: 0, priority: 110, match: 'icmp6,icmp_type=134', actions: 'drop', cookie: ours },
      { table: 0, priority: 100, match: 'ip,in_port=7,vlan_tci=0x0000/0x1fff,dl_src=02:00:00:00:00:07,nw_src=10.0.0.7', actions: 'goto_table:10', cookie: ours },
      { table: 254, priority: 65535, match: 'tcp,tp_dst=0x50,metadata=033', actions: 'drop', cookie: ours },
    ];
    expect([...expectedByWatchKey(flows).keys()]).toEqual(flows.map((f) => watchKey(f.table, f.match)));
  });

  it('sees our own changes as ours: a wanted flow added or rewritten to what we want, an unwanted one deleted', () => {
    expect(foreignChange(ev('ADDED'), expected, OWNER_COOKIE)).toBeUndefined();
    expect(foreignChange(ev('MODIFIED'), expected, OWNER_COOKIE)).toBeUndefined();
    expect(foreignChange(ev('DELETED', { match: 'metadata=0x21c,dl_dst=02:00:00:00:00:09' }), expected, OWNER_COOKIE)).toBeUndefined();
  });

  it('sees a wanted flow deleted, rewritten, or a flow posing with our cookie as foreign', () => {
    expect(foreignChange(ev('DELETED'), expected, OWNER_COOKIE)).toBe('deleted');
    expect(foreignChange(ev('MODIFIED', { actions: 'drop' }), expected, OWNER_COOKIE)).toBe('modified');
    expect(foreignChange(ev('MODIFIED', { cookie: encodeCookie(0x21c, 0x31) }), expected, OWNER_COOKIE)).toBe('modified');
    expect(foreignChange(ev('ADDED', { table: 0, match: 'udp', actions: 'drop' }), expected, OWNER_COOKIE)).toBe('added');
  });

  it('leaves flows without our cookie alone', () => {
    expect(foreignChange(ev('ADDED', { cookie: 0x1234n, table: 0, match: 'tcp' }), expected, OWNER_COOKIE)).toBeUndefined();
    expect(foreignChange(ev('DELETED', { cookie: 0n }), expected, OWNER_COOKIE)).toBeUndefined();
  });
});
