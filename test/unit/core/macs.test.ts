import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assignMacs, isAssignableMac, MAX_MAC_ATTEMPTS, type MacClaim, type MacDeriver } from '../../../src/core/macs.js';
import { macFor } from '../../../src/core/names.js';

const mac = (n: number): string => `02:00:00:00:${((n >> 8) & 255).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`;

/** A deriver with a tiny MAC space: collisions everywhere, still deterministic per (key, attempt). */
function tinySpace(size: number): MacDeriver {
  return (key, attempt) => mac(createHash('sha256').update(`${key}#${attempt}`).digest().readUInt32BE(0) % size);
}

/** Candidate 0 of every key is the same MAC; later candidates are the real ones. */
const allCollide: MacDeriver = (key, attempt) => (attempt === 0 ? '02:aa:aa:aa:aa:aa' : macFor(key, attempt));

const fresh = (...keys: string[]): Map<string, MacClaim> => new Map(keys.map((k) => [k, {}]));

describe('macFor', () => {
  it('keeps candidate 0 as before (sha256 of mac:KEY), so MACs of existing ports do not move', () => {
    const key = '/run/netns/red-1#4026532001';
    const d = createHash('sha256').update(`mac:${key}`).digest();
    expect(macFor(key)).toBe(['02', ...[0, 1, 2, 3, 4].map((i) => d[i]!.toString(16).padStart(2, '0'))].join(':'));
    expect(macFor(key, 0)).toBe(macFor(key));
  });

  it('gives distinct, assignable (unicast, locally administered) candidates per attempt', () => {
    const key = '/run/netns/red-1#4026532001';
    const candidates = Array.from({ length: 20 }, (_, i) => macFor(key, i));
    expect(new Set(candidates).size).toBe(20);
    for (const c of candidates) {
      expect(isAssignableMac(c), c).toBe(true);
      expect(c.startsWith('02:')).toBe(true);
    }
  });
});

describe('isAssignableMac', () => {
  it('accepts canonical unicast MACs only', () => {
    expect(isAssignableMac('02:00:00:0a:00:01')).toBe(true);
    for (const bad of ['02:00:00:0A:00:01', '01:00:5e:00:00:01', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00', '02:00:00:0a:00', '02-00-00-0a-00-01', '', 'nonsense']) {
      expect(isAssignableMac(bad), bad).toBe(false);
    }
  });
});

describe('assignMacs', () => {
  it('gives every new namespace its own derived MAC when nothing collides', () => {
    const r = assignMacs(fresh('/n/a#1', '/n/b#2'), []);
    expect(r.exhausted).toEqual([]);
    expect(r.assigned.get('/n/a#1')).toEqual({ mac: macFor('/n/a#1'), source: 'derived', attempt: 0 });
    expect(r.assigned.get('/n/b#2')).toEqual({ mac: macFor('/n/b#2'), source: 'derived', attempt: 0 });
  });

  it('two new namespaces with one derived MAC: the lower key keeps it, the other takes its next candidate', () => {
    const r = assignMacs(fresh('/n/b#2', '/n/a#1'), [], allCollide);
    expect(r.assigned.get('/n/a#1')).toEqual({ mac: '02:aa:aa:aa:aa:aa', source: 'derived', attempt: 0 });
    expect(r.assigned.get('/n/b#2')).toEqual({ mac: macFor('/n/b#2', 1), source: 'derived', attempt: 1 });
  });

  it('a new namespace whose derived MAC an owned port carries takes the next candidate; the owned port keeps its MAC', () => {
    const claims = new Map<string, MacClaim>([['/n/z#9', { recorded: '02:aa:aa:aa:aa:aa' }], ['/n/a#1', {}]]);
    const r = assignMacs(claims, ['02:aa:aa:aa:aa:aa'], allCollide);
    expect(r.assigned.get('/n/z#9')).toEqual({ mac: '02:aa:aa:aa:aa:aa', source: 'recorded', attempt: 0 });
    expect(r.assigned.get('/n/a#1')).toEqual({ mac: macFor('/n/a#1', 1), source: 'derived', attempt: 1 });
  });

  it('never hands out a MAC of a port that is on the bridge, even one whose namespace is gone (not claimed)', () => {
    const r = assignMacs(fresh('/n/a#1'), ['02:AA:AA:AA:AA:AA'], allCollide);
    expect(r.assigned.get('/n/a#1')?.mac).toBe(macFor('/n/a#1', 1));
  });

  it('skips every candidate in use, and uses the lowest free one', () => {
    const key = '/n/a#1';
    const inUse = [0, 1, 2, 3].map((i) => macFor(key, i));
    expect(assignMacs(fresh(key), inUse).assigned.get(key)).toEqual({ mac: macFor(key, 4), source: 'derived', attempt: 4 });
  });

  it('restart: recorded MACs are kept as they are, whatever the derivation says now', () => {
    const claims = new Map<string, MacClaim>([
      ['/n/a#1', { recorded: macFor('/n/a#1', 3) }],
      ['/n/b#2', { recorded: '02:12:34:56:78:9a' }],
    ]);
    const r = assignMacs(claims, [macFor('/n/a#1', 3), '02:12:34:56:78:9a']);
    expect([...r.assigned.values()]).toEqual([
      { mac: macFor('/n/a#1', 3), source: 'recorded', attempt: 0 },
      { mac: '02:12:34:56:78:9a', source: 'recorded', attempt: 0 },
    ]);
  });

  it('restart after a collision: feeding back what was assigned changes nothing, and a newcomer steers clear', () => {
    const derive = tinySpace(16);
    const first = assignMacs(fresh(...Array.from({ length: 10 }, (_, i) => `/n/w${i}#${i}`)), [], derive);
    expect(first.exhausted).toEqual([]);
    expect(new Set([...first.assigned.values()].map((a) => a.mac)).size).toBe(10);
    expect([...first.assigned.values()].some((a) => a.attempt > 0)).toBe(true); // the tiny space did collide
    const recorded = new Map<string, MacClaim>([...first.assigned].map(([k, a]) => [k, { recorded: a.mac }]));
    const again = assignMacs(new Map([...recorded, ['/n/new#99', {}]]), [...first.assigned.values()].map((a) => a.mac), derive);
    for (const [k, a] of first.assigned) expect(again.assigned.get(k)).toEqual({ mac: a.mac, source: 'recorded', attempt: 0 });
    const newcomer = again.assigned.get('/n/new#99')!;
    expect([...first.assigned.values()].map((a) => a.mac)).not.toContain(newcomer.mac);
  });

  it('heals a collision an older agent recorded: the lower key keeps the MAC, the other gets a free one', () => {
    const shared = '02:aa:aa:aa:aa:aa';
    const claims = new Map<string, MacClaim>([['/n/b#2', { recorded: shared }], ['/n/a#1', { recorded: shared }]]);
    const r = assignMacs(claims, [shared, shared]);
    expect(r.assigned.get('/n/a#1')).toEqual({ mac: shared, source: 'recorded', attempt: 0 });
    expect(r.assigned.get('/n/b#2')).toEqual({ mac: macFor('/n/b#2'), source: 'derived', attempt: 0 });
  });

  it('keeps a remembered MAC (record vanished) when free, and not when a port on the bridge carries it', () => {
    const r = assignMacs(new Map([['/n/a#1', { remembered: '02:00:00:00:00:07' }]]), []);
    expect(r.assigned.get('/n/a#1')).toEqual({ mac: '02:00:00:00:00:07', source: 'remembered', attempt: 0 });
    const taken = assignMacs(new Map([['/n/a#1', { remembered: '02:00:00:00:00:07' }]]), ['02:00:00:00:00:07']);
    expect(taken.assigned.get('/n/a#1')).toEqual({ mac: macFor('/n/a#1'), source: 'derived', attempt: 0 });
    // A recorded MAC outranks another namespace's remembered one.
    const both = assignMacs(new Map<string, MacClaim>([['/n/a#1', { remembered: '02:00:00:00:00:07' }], ['/n/b#2', { recorded: '02:00:00:00:00:07' }]]), ['02:00:00:00:00:07']);
    expect(both.assigned.get('/n/b#2')?.source).toBe('recorded');
    expect(both.assigned.get('/n/a#1')?.mac).not.toBe('02:00:00:00:00:07');
  });

  it('ignores a recorded MAC that is not an assignable one (multicast, upper case, garbage)', () => {
    for (const bad of ['01:00:5e:00:00:01', '02:00:00:0A:00:01', 'x']) {
      const r = assignMacs(new Map([['/n/a#1', { recorded: bad }]]), [bad]);
      expect(r.assigned.get('/n/a#1'), bad).toEqual({ mac: macFor('/n/a#1'), source: 'derived', attempt: 0 });
    }
  });

  it('reports namespaces it could not give a MAC (every candidate in use) instead of sharing one', () => {
    const stuck: MacDeriver = () => '02:aa:aa:aa:aa:aa';
    const r = assignMacs(fresh('/n/a#1', '/n/b#2', '/n/c#3'), [], stuck);
    expect(r.assigned.get('/n/a#1')?.mac).toBe('02:aa:aa:aa:aa:aa');
    expect(r.exhausted).toEqual(['/n/b#2', '/n/c#3']);
    let calls = 0;
    const counting: MacDeriver = () => (calls++, '02:aa:aa:aa:aa:aa');
    expect(assignMacs(fresh('/n/a#1'), ['02:aa:aa:aa:aa:aa'], counting).exhausted).toEqual(['/n/a#1']);
    expect(calls).toBe(MAX_MAC_ATTEMPTS);
  });

  it('property: unique MACs, none taken from the bridge, recorded ones kept, the same result for any input order', () => {
    const keyArb = fc.uniqueArray(fc.stringMatching(/^\/n\/[a-z]{1,3}#[1-9]$/), { minLength: 1, maxLength: 24 });
    fc.assert(
      fc.property(keyArb, fc.array(fc.integer({ min: 0, max: 39 }), { maxLength: 10 }), fc.integer({ min: 0, max: 100 }), fc.integer(), (keys, busy, recordedPct, seed) => {
        const derive = tinySpace(40);
        const inUse = busy.map(mac);
        // Some keys have a record: a MAC on the bridge, each its own.
        const claims = new Map<string, MacClaim>();
        const recordedMacs = new Set<string>();
        for (const [i, k] of keys.entries()) {
          const m = mac(100 + i);
          if ((i * 37) % 100 < recordedPct) {
            claims.set(k, { recorded: m });
            recordedMacs.add(m);
            inUse.push(m);
          } else claims.set(k, {});
        }
        const r = assignMacs(claims, inUse, derive);
        const macs = [...r.assigned.values()].map((a) => a.mac);
        expect(new Set(macs).size).toBe(macs.length);
        expect(r.assigned.size + r.exhausted.length).toBe(keys.length);
        for (const [k, a] of r.assigned) {
          const rec = claims.get(k)?.recorded;
          if (rec !== undefined) expect(a).toEqual({ mac: rec, source: 'recorded', attempt: 0 });
          else expect(inUse).not.toContain(a.mac);
        }
        // Any other order of the same claims and in-use MACs: the same assignment.
        const shuffled = [...claims].sort((a, b) => (hash(a[0], seed) - hash(b[0], seed)));
        const again = assignMacs(new Map(shuffled), [...inUse].reverse(), derive);
        expect([...again.assigned].sort()).toEqual([...r.assigned].sort());
        expect(again.exhausted).toEqual(r.exhausted);
      }),
      { numRuns: 200 },
    );
  });
});

function hash(s: string, seed: number): number {
  return createHash('sha256').update(`${seed}:${s}`).digest().readUInt32BE(0);
}
