import { describe, expect, it } from 'vitest';
import { diffSnapshots, normalizeFlow, type PlumbingSnapshot } from '../../../../bench/lib/plumbing-snapshot.js';

describe('normalizeFlow', () => {
  it('drops counters and ages so an untouched flow compares equal, and keeps its age', () => {
    const a = normalizeFlow(' cookie=0x1, duration=12.5s, table=0, n_packets=3, n_bytes=180, idle_age=2, priority=100,in_port=3 actions=goto_table:20');
    const b = normalizeFlow(' cookie=0x1, duration=99.1s, table=0, n_packets=0, n_bytes=0, priority=100,in_port=3 actions=goto_table:20');
    expect(a?.flow).toBe(b?.flow);
    expect(a?.ageS).toBe(12.5);
  });

  it('skips the reply header', () => {
    expect(normalizeFlow('OFPST_FLOW reply (OF1.5) (xid=0x2):')).toBeUndefined();
  });
});

function snap(o: Partial<PlumbingSnapshot> = {}): PlumbingSnapshot {
  return {
    hostLinks: new Map([['nsv1', 10], ['nsv2', 11]]),
    inside: new Map([['/ns/a', { ifindex: 2, mac: '02:00:00:00:00:01', ipv4: ['10.77.0.2/16'] }]]),
    rows: new Map([['u1', 'nsv1 1 a=b']]),
    flows: ['f1', 'f2'],
    flowAgesS: [100, 100],
    ...o,
  };
}

describe('diffSnapshots', () => {
  it('finds nothing between equal snapshots', () => {
    const d = diffSnapshots(snap(), snap());
    const counts = Object.entries(d).filter(([k]) => k !== 'examples').map(([, v]) => v);
    expect(counts.every((v) => v === 0)).toBe(true);
    expect(d.examples).toEqual([]);
  });

  it('counts re-created veths, changed addresses, rows and flows, with examples', () => {
    const d = diffSnapshots(snap(), snap({
      hostLinks: new Map([['nsv1', 12]]),
      inside: new Map([['/ns/a', { ifindex: 5, mac: '02:00:00:00:00:01', ipv4: ['10.77.0.3/16'] }]]),
      rows: new Map([['u1', 'nsv1 1 a=c'], ['u2', 'x']]),
      flows: ['f1', 'f3'],
    }));
    expect(d).toMatchObject({ hostLinksRecreated: 1, hostLinksMissing: 1, insideRecreated: 1, addressesChanged: 1, macsChanged: 0, rowsChanged: 1, rowsAdded: 1, flowsAdded: 1, flowsRemoved: 1 });
    expect(d.examples.some((e) => e.includes('nsv1') && e.includes('10 -> 12'))).toBe(true);
  });
});
