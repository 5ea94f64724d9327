import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { readinessRetry, type ReadinessSignal } from '../../../../src/netns/operators/readiness-retry.js';
import type { Observation, Probe } from '../../../../src/netns/observation.js';

const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const pending = (fileId = 'f1'): Probe => ({ state: 'pending', fileId });
const ready: Probe = { state: 'ready', inode: 10, incarnation: '10:0', nsId: '4:10' };
const look = (full: boolean, entries: Record<string, Probe>): Observation => ({ dir: '/d', full, atMs: 0, entries: new Map(Object.entries(entries)) });
const r: ReadinessSignal = { type: 'recheck', dir: '/d', name: 'a' };
const opts = (ts: TestScheduler) => ({ firstMs: 10, maxStepMs: 40, maxWaitMs: 100, scheduler: ts });

describe('readinessRetry', () => {
  it('re-checks a pending file with doubling, capped delays and a last look at the deadline', () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      // Delays 10, 20, 40, (40 would pass 100) → re-checks at 10, 30, 70 and the last at 100.
      expectObservable(hot('p', { p: look(true, { a: pending() }) }).pipe(readinessRetry(opts(ts)))).toBe('10ms r 19ms r 39ms r 29ms r', { r });
    });
  });

  it('gives up with one signal when the file is still not a mount after the deadline, and stays quiet after', () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      const p = look(false, { a: pending() });
      // Looks after each re-check still find it pending; the one after the deadline (at 101) gives up; later rescans (at 150, 300) say nothing.
      const source = hot('p 9ms p 19ms p 39ms p 30ms p 48ms p 149ms p', { p });
      const g: ReadinessSignal = { type: 'gave-up', dir: '/d', name: 'a', waitedMs: 101 };
      expectObservable(source.pipe(readinessRetry(opts(ts)))).toBe('10ms r 19ms r 39ms r 29ms r g', { r, g });
    });
  });

  it('stops re-checking once the file is ready', () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      const source = hot('p 9ms p 14ms q', { p: look(true, { a: pending() }), q: look(false, { a: ready }) });
      expectObservable(source.pipe(readinessRetry(opts(ts)))).toBe('10ms r', { r });
    });
  });

  it('stops re-checking a file a full scan no longer lists, but not on a partial look about other files', () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      const source = hot('p 4ms o 9ms q', { p: look(true, { a: pending() }), o: look(false, { b: ready }), q: look(true, {}) });
      expectObservable(source.pipe(readinessRetry(opts(ts)))).toBe('10ms r', { r });
    });
  });

  it('starts over when the file is replaced by another one of the same name', () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      const source = hot('p 14ms q', { p: look(true, { a: pending('f1') }), q: look(true, { a: pending('f2') }) });
      // f1: re-check at 10; f2 from 15: re-checks at 25, 45, 85 and 115.
      expectObservable(source.pipe(readinessRetry(opts(ts)))).toBe('10ms r 14ms r 19ms r 39ms r 29ms r', { r });
    });
  });

  it('re-arms for a file given up on once it is removed and created again', () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      const p = look(false, { a: pending('f1') });
      const g: ReadinessSignal = { type: 'gave-up', dir: '/d', name: 'a', waitedMs: 101 };
      const source = hot('p 100ms p 8ms x 9ms p', { p, x: look(false, { a: { state: 'gone' } }) });
      // Gave up at 101; gone at 110; the same file id seen again at 120 is tracked anew (re-checks at 130, 150, 190, 220).
      expectObservable(source.pipe(readinessRetry(opts(ts)))).toBe('10ms r 19ms r 39ms r 29ms r g 28ms r 19ms r 39ms r 29ms r', { r, g });
    });
  });
});
