import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { diffObservations } from '../../../../src/netns/operators/diff-observations.js';
import type { FoundEvent, Observation, Probe } from '../../../../src/netns/observation.js';

const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const ready = (inode: number, gen = 0): Probe => ({ state: 'ready', inode, incarnation: `${inode}:${gen}`, nsId: `4:${inode}` });
const pending: Probe = { state: 'pending', fileId: 'f1' };
const gone: Probe = { state: 'gone' };
const look = (full: boolean, atMs: number, entries: Record<string, Probe>, dir = '/d'): Observation => ({ dir, full, atMs, entries: new Map(Object.entries(entries)) });
const found = (type: 'added' | 'removed', name: string, inode: number, firstSeenMs: number, dir: string): FoundEvent =>
  ({ type, found: { kind: 'namespace', ns: { path: `${dir}/${name}`, name, dir, inode, firstSeenMs }, nsId: `4:${inode}` } });
const added = (name: string, inode: number, firstSeenMs: number, dir = '/d'): FoundEvent => found('added', name, inode, firstSeenMs, dir);
const removed = (name: string, inode: number, firstSeenMs: number, dir = '/d'): FoundEvent => found('removed', name, inode, firstSeenMs, dir);
const link = (type: 'added' | 'removed', name: string, target: string, firstSeenMs: number, dir = '/d'): FoundEvent =>
  ({ type, found: { kind: 'symlink', ns: { path: `${dir}/${name}`, name, dir, firstSeenMs }, target } });

describe('diffObservations', () => {
  it('adds what a full scan finds ready and removes what a later full scan no longer lists', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const input = { s: look(true, 1, { a: ready(10), b: ready(11) }), t: look(true, 2, { b: ready(11) }) };
      expectObservable(hot('s---t---|', input).pipe(diffObservations())).toBe('(ab)r---|', {
        a: added('a', 10, 1), b: added('b', 11, 1), r: removed('a', 10, 1),
      });
    });
  });

  it('waits for a pending file to become ready, keeping the time it was first seen ready', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const input = { p: look(true, 1, { a: pending }), q: look(false, 5, { a: pending }), r: look(false, 9, { a: ready(10) }), s: look(true, 20, { a: ready(10) }) };
      expectObservable(hot('p-q-r-s-|', input).pipe(diffObservations())).toBe('----a---|', { a: added('a', 10, 9) });
    });
  });

  it('treats a new inode under the same name as removed then added', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const input = { s: look(true, 1, { a: ready(10) }), t: look(false, 3, { a: ready(12) }) };
      expectObservable(hot('s-t-----|', input).pipe(diffObservations())).toBe('a-(rb)--|', {
        a: added('a', 10, 1), r: removed('a', 10, 1), b: added('a', 12, 3),
      });
    });
  });

  it('sees a re-created namespace even when the kernel reused the inode (incarnation differs)', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const input = { s: look(true, 1, { a: ready(10, 1) }), t: look(true, 3, { a: ready(10, 2) }) };
      expectObservable(hot('s-t-----|', input).pipe(diffObservations())).toBe('a-(rb)--|', {
        a: added('a', 10, 1), r: removed('a', 10, 1), b: added('a', 10, 3),
      });
    });
  });

  it('removes a namespace that was unmounted but not unlinked, and one a probe found gone', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const input = { s: look(true, 1, { a: ready(10), b: ready(11) }), t: look(false, 3, { a: pending }), u: look(false, 5, { b: gone }) };
      expectObservable(hot('s---t-u-|', input).pipe(diffObservations())).toBe('(ab)r-q-|', {
        a: added('a', 10, 1), b: added('b', 11, 1), r: removed('a', 10, 1), q: removed('b', 11, 1),
      });
    });
  });

  it('concludes nothing from a partial look or a failed probe', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const input = { s: look(true, 1, { a: ready(10), b: ready(11) }), t: look(false, 3, { c: gone }), u: look(false, 5, { a: { state: 'unknown', code: 'EIO' } }) };
      expectObservable(hot('s---t-u-|', input).pipe(diffObservations())).toBe('(ab)----|', { a: added('a', 10, 1), b: added('b', 11, 1) });
    });
  });

  it('keeps directories apart: a full scan of one never removes the other’s namespaces', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const input = { s: look(true, 1, { a: ready(10) }, '/d'), t: look(true, 2, { a: ready(20) }, '/e'), u: look(true, 3, {}, '/e') };
      expectObservable(hot('stu|', input).pipe(diffObservations())).toBe('abc|', {
        a: added('a', 10, 1, '/d'), b: added('a', 20, 2, '/e'), c: removed('a', 20, 2, '/e'),
      });
    });
  });

  it('reports a symbolic link once per link (not per look), and its replacement by a namespace as removed then added', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const l: Probe = { state: 'symlink', fileId: 'l1', target: '/proc/self/ns/net' };
      const input = { s: look(true, 1, { a: l }), t: look(true, 3, { a: l }), u: look(false, 5, { a: ready(10) }), v: look(true, 7, {}) };
      expectObservable(hot('s-t-u---v-|', input).pipe(diffObservations())).toBe('a---(rb)c-|', {
        a: link('added', 'a', '/proc/self/ns/net', 1), r: link('removed', 'a', '/proc/self/ns/net', 1), b: added('a', 10, 5), c: removed('a', 10, 5),
      });
    });
  });

  it('handles the names of one look in sorted order, and ends a full look with a directory state by `looked`', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const s: Observation = { dir: '/d', full: true, atMs: 1, entries: new Map([['b', ready(11)], ['a', ready(10)]]), dirState: { kind: 'ok', id: '1:2' } };
      expectObservable(hot('s-----|', { s }).pipe(diffObservations())).toBe('(abl)-|', { a: added('a', 10, 1), b: added('b', 11, 1), l: { type: 'looked', dir: '/d' } });
    });
  });
});
