import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { diffFlows, flowKey, uniqueFlows, rememberedFlowKeys } from '../../../src/openflow/flow-diff.js';
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

describe('flowKey', () => {
  it('is one key for one identity however the match is spelled, remembered or not', () => {
    const spellings: [string, string][] = [
      ['ip,nw_src=10.0.0.1', 'nw_src=10.0.0.1,dl_type=0x0800'],
      ['tcp,tp_dst=80', 'tcp_dst=80,ip_proto=6,eth_type=0x800'],
      ['in_port=01,dl_src=02:AA:00:00:00:01', 'dl_src=02:aa:00:00:00:01,in_port=1'],
      ['metadata=0x64,dl_dst=02:00:00:00:00:01', 'dl_dst=02:00:00:00:00:01,metadata=100'],
      ['nw_dst=10.1.0.0/255.255.255.255', 'nw_dst=10.1.0.0'],
    ];
    for (const [ours, theirs] of spellings) {
      for (let i = 0; i < 2; i++) expect(flowKey(f(20, 100, ours, 'drop')), ours).toBe(flowKey(f(20, 100, theirs, 'drop')));
      expect(diffFlows([f(20, 100, ours, 'output:1')], [f(20, 100, theirs, 'output:1')])).toEqual({ add: [], modify: [], del: [], duplicates: [] });
    }
  });

  it('tells apart the same match in another table or at another priority, and different matches', () => {
    const keys = [f(20, 100, 'in_port=1', 'drop'), f(21, 100, 'in_port=1', 'drop'), f(20, 101, 'in_port=1', 'drop'), f(20, 100, 'in_port=2', 'drop'), f(20, 100, 'ip,in_port=1', 'drop')].map(flowKey);
    expect(new Set(keys).size).toBe(keys.length);
    // Asked again (remembered now): the same answers.
    expect([f(20, 100, 'in_port=1', 'x'), f(21, 100, 'in_port=1', 'x')].map(flowKey)).toEqual(keys.slice(0, 2));
  });

  it('leaves actions and cookie out of the identity: a flow whose actions differ is rewritten, not added', () => {
    const have = f(20, 100, 'metadata=0x64,dl_dst=02:00:00:00:00:01', 'output:1');
    const want = f(20, 100, 'dl_dst=02:00:00:00:00:01,metadata=100', 'output:2');
    expect(flowKey(want)).toBe(flowKey(have));
    expect(diffFlows([want], [have])).toEqual({ add: [], modify: [want], del: [], duplicates: [] });
    expect(diffFlows([f(0, 0, '', ' output:1 ')], [f(0, 0, '', 'output:1')]).modify).toEqual([]);
    expect(diffFlows([f(0, 0, '', 'output:1', 2n)], [f(0, 0, '', 'output:1', 1n)]).modify).toHaveLength(1);
  });

  it('stays right after its memory of keys fills up and starts over', () => {
    const first = f(7, 1, 'in_port=3', 'drop');
    const k = flowKey(first);
    for (let p = 0; p <= 200_001; p++) flowKey(f(8, p, 'in_port=3', 'drop'));
    expect(flowKey(first)).toBe(k);
    expect(flowKey(f(8, 200_001, 'in_port=03', 'drop'))).toBe('8|200001|in_port=3');
  });

  it('diffs against the switch in desired order, stale flows once each (the last read) in the order first read', () => {
    const a = f(20, 100, 'in_port=1', 'output:1');
    const b = f(20, 100, 'in_port=2', 'output:2');
    const staleOld = f(20, 100, 'in_port=9', 'output:1');
    const staleNew = f(20, 100, 'in_port=09', 'output:2');
    const other = f(20, 100, 'in_port=8', 'drop');
    const d = diffFlows([b, a], [staleOld, { ...a, actions: 'drop' }, other, staleNew]);
    expect(d.add).toEqual([b]);
    expect(d.modify).toEqual([a]);
    expect(d.del).toEqual([staleNew, other]);
  });
});

describe('remembered flow keys', () => {
  const flows = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ table: 0, priority: 100, match: `ip,in_port=${i + 1},nw_src=10.${prefix}.${i >> 8}.${i & 255}`, actions: 'drop', cookie: 0x1n }));

  it('stay in proportion to the flows in use: the keys of flows gone are forgotten two turns later', () => {
    const big = flows('1', 5000);
    expect(diffFlows(big, big).add).toEqual([]);
    expect(rememberedFlowKeys()).toBeGreaterThanOrEqual(5000);
    // New namespaces, new addresses, round after round: the memo does not grow with them.
    for (let round = 2; round < 12; round++) {
      const next = flows(String(round), 5000);
      expect(diffFlows(next, next).add).toEqual([]);
      expect(rememberedFlowKeys()).toBeLessThanOrEqual(4 * 5000 + 4096);
    }
    // Everything deleted: a few flows left, and so a few keys after two diffs.
    const few = flows('99', 5);
    diffFlows(few, few);
    diffFlows(few, few);
    expect(rememberedFlowKeys()).toBeLessThanOrEqual(2 * (2 * 5 + 1024));
    // Still right after the turns: a changed action is a modify, a missing flow an add.
    const changed = few.map((f, i) => (i === 0 ? { ...f, actions: 'output:7' } : f));
    const d = diffFlows(changed, few.slice(1));
    expect(d.add.map((f) => f.match)).toEqual([few[0]!.match]);
    expect(diffFlows(changed, few).modify.map((f) => f.match)).toEqual([few[0]!.match]);
  });
});
