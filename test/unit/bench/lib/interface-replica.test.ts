import { describe, expect, it } from 'vitest';
import { applyMonitorLine, countWithOfport, type InterfaceReplica } from '../../../../bench/lib/interface-replica.js';

// Lines as `ovsdb-client --format=json monitor DB Open_vSwitch Interface name,ofport,external_ids` prints them (OVS 3.1).
const H = '"headings":["row","action","name","ofport","external_ids"]';
const initial = `{"data":[["b1cb","initial","br0",65534,["map",[]]]],${H}}`;
const insert = `{"data":[["9e12","insert","h1",["set",[]],["map",[["a","b"]]]]],${H}}`;
const modify = `{"data":[["9e12","old",null,["set",[]],null],["","new","h1",1,["map",[["a","b"]]]]],${H}}`;
const del = `{"data":[["9e12","delete","h1",1,["map",[["a","b"]]]]],${H}}`;

describe('applyMonitorLine', () => {
  it('mirrors initial rows, inserts, modifications and deletions', () => {
    const rep: InterfaceReplica = new Map();
    expect(applyMonitorLine(rep, initial)).toBe(true);
    expect(rep.get('b1cb')).toEqual({ uuid: 'b1cb', name: 'br0', ofport: 65534, externalIds: {} });
    applyMonitorLine(rep, insert);
    expect(rep.get('9e12')?.ofport).toBeUndefined();
    expect(rep.get('9e12')?.externalIds).toEqual({ a: 'b' });
    applyMonitorLine(rep, modify);
    expect(rep.get('9e12')?.ofport).toBe(1);
    expect(rep.size).toBe(2);
    applyMonitorLine(rep, del);
    expect([...rep.keys()]).toEqual(['b1cb']);
  });

  it('pairs each "new" entry with the "old" entry before it when one update changes several rows', () => {
    const rep: InterfaceReplica = new Map([
      ['u1', { uuid: 'u1', name: 'p1', ofport: undefined, externalIds: {} }],
      ['u2', { uuid: 'u2', name: 'p2', ofport: undefined, externalIds: {} }],
    ]);
    applyMonitorLine(rep, `{"data":[["u1","old",null,["set",[]],null],["","new","p1",3,["map",[]]],["u2","old",null,["set",[]],null],["","new","p2",4,["map",[]]]],${H}}`);
    expect(rep.get('u1')?.ofport).toBe(3);
    expect(rep.get('u2')?.ofport).toBe(4);
    expect(rep.has('')).toBe(false);
  });

  it('ignores lines that are not updates', () => {
    const rep: InterfaceReplica = new Map();
    expect(applyMonitorLine(rep, 'not json')).toBe(false);
    expect(applyMonitorLine(rep, '[1,2]')).toBe(false);
    expect(applyMonitorLine(rep, '{"data":[]}')).toBe(false);
    expect(rep.size).toBe(0);
  });

  it('treats an ofport of -1 (attach failed) as not attached', () => {
    const rep: InterfaceReplica = new Map();
    applyMonitorLine(rep, `{"data":[["u","insert","bad",-1,["map",[]]]],${H}}`);
    applyMonitorLine(rep, initial);
    expect(countWithOfport(rep)).toBe(1);
    expect(countWithOfport(rep, (r) => r.name !== 'br0')).toBe(0);
  });
});
