import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { dedupeIncarnations } from '../../../../src/netns/operators/dedupe-incarnations.js';
import type { NamespaceEvent, NamespaceInfo } from '../../../../src/netns/types.js';

const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const ns = (name: string, inode: number): NamespaceInfo => ({ path: `/d/${name}`, name, dir: '/d', inode, firstSeenMs: 0 });
const a1 = ns('a', 1);
const a2 = ns('a', 2);
const ev: Record<string, NamespaceEvent> = {
  a: { type: 'added', ns: a1 },
  r: { type: 'removed', ns: a1 },
  b: { type: 'added', ns: a2 },
  s: { type: 'removed', ns: a2 },
};

describe('dedupeIncarnations', () => {
  it('passes each incarnation added once and removed once', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      expectObservable(hot('a-a-r-r-|', ev).pipe(dedupeIncarnations())).toBe('a---r---|', ev);
    });
  });

  it('drops a removal of something never added', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      expectObservable(hot('r-s-a-|', ev).pipe(dedupeIncarnations())).toBe('----a-|', ev);
    });
  });

  it('lets the same key come back after its removal (the kernel reuses namespace inodes)', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      expectObservable(hot('a-r-a-r-|', ev).pipe(dedupeIncarnations())).toBe('a-r-a-r-|', ev);
    });
  });

  it('keeps different inodes under one name apart', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      expectObservable(hot('abbrs|', ev).pipe(dedupeIncarnations())).toBe('ab-rs|', ev);
    });
  });
});
