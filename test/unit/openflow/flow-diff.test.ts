import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { diffFlows, flowKey, uniqueFlows } from '../../../src/openflow/flow-diff.js';
import type { Flow } from '../../../src/openflow/flow.js';
import { parseDumpFlows } from '../../../src/openflow/parse-dump.js';
import { bundleText } from '../../../src/openflow/ofctl-driver.js';

const f = (table: number, priority: number, match: string, actions: string, cookie = 0x6e73000064000001n): Flow => ({ table, priority, match, actions, cookie });

describe('diffFlows', () => {
  it('is empty when the dump holds the desired flows in OVS spelling', () => {
    const desired = [f(10, 100, 'arp,metadata=0x64,arp_op=1,arp_tpa=10.0.0.1', 'IN_PORT'), f(0, 100, 'ip,in_port=1,dl_src=02:AA:00:00:00:01,nw_src=10.0.0.1', 'drop')];
    const dumped = parseDumpFlows(
      ' cookie=0x6e73000064000001, table=10, priority=100,arp,metadata=0x64,arp_tpa=10.0.0.1,arp_op=1 actions=IN_PORT\n' +
        ' cookie=0x6e73000064000001, priority=100,ip,in_port=1,dl_src=02:aa:00:00:00:01,nw_src=10.0.0.1 actions=drop\n',
    );
    expect(diffFlows(desired, dumped)).toEqual({ add: [], modify: [], del: [], duplicates: [] });
  });

  it('adds missing, deletes stale, and rewrites flows whose actions or cookie changed', () => {
    const keep = f(20, 100, 'metadata=0x64,dl_dst=02:00:00:00:00:01', 'output:1');
    const stale = f(20, 100, 'metadata=0x64,dl_dst=02:00:00:00:00:02', 'output:2');
    const floodOld = f(20, 50, 'metadata=0x64', 'output:1,output:2');
    const floodNew = f(20, 50, 'metadata=0x64', 'output:1');
    const recooked = f(0, 0, '', 'drop', 0x6e73000000000001n);
    const fresh = f(20, 100, 'metadata=0x64,dl_dst=02:00:00:00:00:03', 'output:3');
    const d = diffFlows([keep, floodNew, { ...recooked, cookie: 0x6e73000000000009n }, fresh], [keep, stale, floodOld, recooked]);
    expect(d.add).toEqual([fresh]);
    expect(d.modify.map(flowKey)).toEqual([flowKey(floodNew), flowKey(recooked)]);
    expect(d.del).toEqual([stale]);
  });

  it('keeps the first of two desired flows with the same identity and reports the other', () => {
    const a = f(20, 100, 'metadata=0x64,dl_dst=02:00:00:00:00:01', 'output:1');
    const b = f(20, 100, 'dl_dst=02:00:00:00:00:01,metadata=100', 'output:7');
    const d = diffFlows([a, b], []);
    expect(d.add).toEqual([a]);
    expect(d.duplicates).toEqual([b]);
  });
});

describe('bundleText', () => {
  it('writes strict deletes (only if the cookie is still ours) before adds, one flow per line', () => {
    const del = f(20, 100, 'metadata=0x64,dl_dst=02:00:00:00:00:02', 'output:2');
    const add = f(0, 0, '', 'drop', 0x6e73000000000001n);
    expect(bundleText({ add: [add], del: [del] })).toBe(
      'delete_strict table=20,priority=100,cookie=0x6e73000064000001/-1,metadata=0x64,dl_dst=02:00:00:00:00:02\n' +
        'add table=0,priority=0,cookie=0x6e73000000000001,actions=drop\n',
    );
    expect(bundleText({ add: [], del: [] })).toBe('');
  });
});

describe('uniqueFlows', () => {
  it('keeps the first of flows with the same table, priority and match, in order', () => {
    const a = f(20, 100, 'metadata=0x64,dl_dst=02:00:00:00:00:01', 'output:1');
    const b = f(20, 100, 'metadata=0x64,dl_dst=02:00:00:00:00:01', 'output:3');
    const c = f(0, 0, '', 'drop');
    expect(uniqueFlows([a, c, b])).toEqual([a, c]);
  });

  it('is what the switch holds after a diff is applied, duplicates or not (the cache a later diff may trust)', () => {
    const flow = fc.record({
      table: fc.constantFrom(0, 20),
      priority: fc.constantFrom(50, 100),
      match: fc.constantFrom('', 'in_port=1', 'in_port=2', 'metadata=0x64,dl_dst=02:00:00:00:00:01'),
      actions: fc.constantFrom('drop', 'output:1', 'output:3'),
      cookie: fc.constantFrom(1n, 2n),
    });
    fc.assert(fc.property(fc.array(flow, { maxLength: 12 }), fc.array(flow, { maxLength: 12 }), (desired, switchHas) => {
      // The switch: one flow per key (what OpenFlow allows).
      const sw = new Map(uniqueFlows(switchHas).map((x) => [flowKey(x), x]));
      const d = diffFlows(desired, [...sw.values()]);
      for (const x of d.del) sw.delete(flowKey(x));
      for (const x of [...d.add, ...d.modify]) sw.set(flowKey(x), x);
      const want = new Map(uniqueFlows(desired).map((x) => [flowKey(x), x]));
      const sorted = (m: Map<string, Flow>) => [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, x]) => [k, { ...x }]);
      expect(sorted(sw)).toEqual(sorted(want));
      // And diffing again against that cache sends nothing.
      const again = diffFlows(desired, uniqueFlows(desired));
      expect([again.add.length, again.modify.length, again.del.length]).toEqual([0, 0, 0]);
    }));
  });
});
