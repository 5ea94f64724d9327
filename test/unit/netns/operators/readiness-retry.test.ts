import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { takeUntil, timer } from 'rxjs';
import { readinessRetry, type ReadinessSignal } from '../../../../src/netns/operators/readiness-retry.js';
import type { Observation, Probe } from '../../../../src/netns/observation.js';
import type { StrayReport } from '../../../../src/netns/pending-files.js';

/** Ends a stream at `ms` (the timer of a long schedule would run on). */
const takeUntilTime = (ts: TestScheduler, ms: number) => takeUntil<ReadinessSignal>(timer(ms, ts));
const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const pending = (fileId = 'f1'): Probe => ({ state: 'pending', fileId });
const ready: Probe = { state: 'ready', inode: 10, incarnation: '10:0', nsId: '4:10' };
const look = (full: boolean, entries: Record<string, Probe>): Observation => ({ dir: '/d', full, atMs: 0, entries: new Map(Object.entries(entries)) });
const recheck = (...names: string[]): ReadinessSignal => ({ type: 'recheck', dir: '/d', names });
const strays = (r: Partial<StrayReport>): ReadinessSignal => ({ type: 'strays', report: { dir: '/d', count: 1, examples: ['a'], cutShort: 0, notRemembered: 0, ...r } });
const r = recheck('a');
const opts = (ts: TestScheduler, extra: Partial<Parameters<typeof readinessRetry>[0]> = {}) => ({
  firstMs: 10, maxStepMs: 40, maxWaitMs: 100, maxTracked: 256, maxRemembered: 1000, reportMaxDelayMs: 1000, scheduler: ts, ...extra,
});

describe('readinessRetry', () => {
  it('re-checks a pending file with doubling, capped delays and a last look at the deadline', () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      // Delays 10, 20, 40, (40 would pass 100) → re-checks at 10, 30, 70 and the last at 100.
      expectObservable(hot('p', { p: look(true, { a: pending() }) }).pipe(readinessRetry(opts(ts)))).toBe('10ms r 19ms r 39ms r 29ms r', { r });
    });
  });

  it('gives up with one report when the file is still not a mount after the deadline, and stays quiet after', () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      const p = look(false, { a: pending() });
      // Looks after each re-check still find it pending; the one after the deadline (at 101) gives up; later rescans (at 150, 300) say nothing.
      const source = hot('p 9ms p 19ms p 39ms p 30ms p 48ms p 149ms p', { p });
      expectObservable(source.pipe(readinessRetry(opts(ts)))).toBe('10ms r 19ms r 39ms r 29ms r g', { r, g: strays({}) });
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
      const source = hot('p 100ms p 8ms x 9ms p', { p, x: look(false, { a: { state: 'gone' } }) });
      // Gave up at 101; gone at 110; the same file id seen again at 120 is tracked anew (re-checks at 130, 150, 190, 220).
      expectObservable(source.pipe(readinessRetry(opts(ts)))).toBe('10ms r 19ms r 39ms r 29ms r g 28ms r 19ms r 39ms r 29ms r', { r, g: strays({}) });
    });
  });

  it('re-checks files found together with one signal per step (one look), and reports them with one signal', () => {
    const ts = newScheduler();
    const names = Array.from({ length: 1000 }, (_, i) => `s${String(i).padStart(4, '0')}`);
    const all = look(true, Object.fromEntries(names.map((n) => [n, pending(n)])));
    const again = look(false, Object.fromEntries(names.map((n) => [n, pending(n)])));
    ts.run(({ hot, expectObservable }) => {
      const x = recheck(...names);
      const g = strays({ count: 1000, examples: names.slice(0, 5) });
      expectObservable(hot('p 100ms q', { p: all, q: again }).pipe(readinessRetry(opts(ts, { maxTracked: 1000 })))).toBe('10ms x 19ms x 39ms x 29ms x g', { x, g });
    });
  });

  it('re-checks at most maxTracked files at once: one more gives up on the oldest (the newest is the likeliest namespace)', () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      const p = look(false, { old: pending('1'), mid: pending('2') });
      const q = look(false, { new: pending('3') });
      const end = look(true, { old: pending('1'), mid: pending('2'), new: pending('3') });
      // max 2: "new" at 5 pushes "old" out; "mid" (re-checks 10, 30, 70, 100) and "new" (15, 35, 75, 105) stay;
      // both given up by the look at 110: one report for all three, one of them cut short.
      const source = hot('p 4ms q 104ms e', { p, q, e: end });
      const g = strays({ count: 3, examples: ['old', 'mid', 'new'], cutShort: 1 });
      expectObservable(source.pipe(readinessRetry(opts(ts, { maxTracked: 2 })))).toBe(
        '10ms a 4ms b 14ms a 4ms b 34ms a 4ms b 24ms a 4ms b 4ms g',
        { a: recheck('mid'), b: recheck('new'), g },
      );
    });
  });

  it('reports a steady stream of stray files at least every reportMaxDelayMs, even while files are still re-checked', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      // A new stray file every 60 ms (maxTracked 1: each pushes the previous one out): never idle.
      const looks: Record<string, Observation> = {};
      let marbles = '';
      for (let i = 0; i < 12; i++) {
        const key = 'abcdefghijkl'[i]!;
        looks[key] = look(false, { [`f${i}`]: pending(`id${i}`) });
        marbles += i === 0 ? key : ` 59ms ${key}`;
      }
      const out: ReadinessSignal[] = [];
      hot(marbles, looks).pipe(readinessRetry(opts(ts, { maxTracked: 1, reportMaxDelayMs: 200 }))).subscribe((s) => out.push(s));
      ts.flush();
      const reports = out.filter((s) => s.type === 'strays').map((s) => (s.type === 'strays' ? s.report : undefined));
      // f0 is pushed out at 60; the look at 300 (240 ms later) reports f0..f4; f5 is pushed out at 360, the look at 600 reports f5..f9.
      expect(reports.map((x) => x?.examples)).toEqual([['f0', 'f1', 'f2', 'f3', 'f4'], ['f5', 'f6', 'f7', 'f8', 'f9']]);
      expect(reports.map((x) => [x?.count, x?.cutShort])).toEqual([[5, 5], [5, 5]]);
    });
  });

  it('looks at every waiting file at once when the mount table changes, and keeps the timer schedule', () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      const source = hot('p', { p: look(true, { a: pending(), b: pending('f2') }) });
      // Mount changes at 3 and 50 ms: both files looked at then; the timer still re-checks at 10, 30, 70 and 100.
      const mounts = hot('3ms m 46ms m');
      const ab = recheck('a', 'b');
      expectObservable(source.pipe(readinessRetry(opts(ts, { mountChanges$: mounts })))).toBe('3ms x 6ms x 19ms x 19ms x 19ms x 29ms x', { x: ab });
    });
  });

  it('makes mount changes close together one look at the start and one at the end, and skips files found over a second before', () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      const long = { firstMs: 5_000, maxStepMs: 5_000, maxWaitMs: 20_000 };
      const source = hot('p 1499ms q', { p: look(true, { a: pending() }), q: look(false, { b: pending('f2') }) });
      // Changes at 3, 4 and 5 ms: a look at 3 and one at 8 (5 ms after the first). At 1600 ms a is 1.6 s old, b 0.1 s.
      const mounts = hot('3ms m m m 1594ms m');
      const a = recheck('a');
      const b = recheck('b');
      expectObservable(source.pipe(readinessRetry(opts(ts, { ...long, mountChanges$: mounts }))).pipe(takeUntilTime(ts, 2_000))).toBe('3ms a 4ms a 1591ms b 399ms |', { a, b });
    });
  });

  it('says nothing on a mount change while no file waits, and nothing for files given up on', () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      const p = look(false, { a: pending() });
      // a waits from 0 and is given up at the look at 101; the mount changes at 120 find nothing waiting.
      const source = hot('p 100ms p', { p });
      const mounts = hot('120ms m');
      expectObservable(source.pipe(readinessRetry(opts(ts, { mountChanges$: mounts })))).toBe('10ms r 19ms r 39ms r 29ms r g', { r, g: strays({}) });
    });
  });
});
