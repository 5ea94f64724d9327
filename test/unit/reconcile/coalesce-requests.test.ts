import { describe, expect, it } from 'vitest';
import { map, timer, of, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { coalesceRequests } from '../../../src/reconcile/coalesce-requests.js';

const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const concatNames = (a: string | undefined, b: string) => [...new Set([...(a ?? ''), ...b])].sort().join('');

describe('coalesceRequests', () => {
  it('runs an idle request at once and folds requests that arrive during a run into one follow-up', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      // Each run takes 3 frames and answers with what it covered.
      const run = (req: string): Observable<string> => timer(3).pipe(map(() => req));
      const source = hot('abc---------d--|');
      //                  a runs 0..3; b and c arrive meanwhile → one run "bc" 3..6; d runs 12..15.
      expectObservable(source.pipe(coalesceRequests(run, concatNames))).toBe('---a--x--------(d|)', { a: 'a', x: 'bc', d: 'd' });
    });
  });

  it('keeps results in request order even when a later run would be faster', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const run = (req: string): Observable<string> => timer(req === 'a' ? 5 : 1).pipe(map(() => req));
      expectObservable(hot('ab---|').pipe(coalesceRequests(run, concatNames))).toBe('-----a(b|)');
    });
  });

  it('folds only requests that arrive during the same run', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const run = (req: string): Observable<string> => timer(3).pipe(map(() => req));
      // b arrives while a runs, c while b runs: three runs, none folded.
      expectObservable(hot('a-b-c----|').pipe(coalesceRequests(run, concatNames))).toBe('---a--b--(c|)');
    });
  });

  it('handles runs that complete synchronously without recursion', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      expectObservable(hot('abc|').pipe(coalesceRequests((r: string) => of(r), concatNames))).toBe('abc|');
    });
  });

  it('waits for the running request before completing', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const run = (req: string): Observable<string> => timer(4).pipe(map(() => req));
      expectObservable(hot('a|').pipe(coalesceRequests(run, concatNames))).toBe('----(a|)');
    });
  });

  it('hands the batch it folded into back to fold, so a batch grows in place: N requests, N folds, one batch', () => {
    const batches = new Set<string[]>();
    let folds = 0;
    const fold = (batch: string[] | undefined, req: string): string[] => {
      folds++;
      const b = batch ?? [];
      batches.add(b);
      b.push(req);
      return b;
    };
    newScheduler().run(({ hot, expectObservable }) => {
      const run = (batch: string[]): Observable<string> => timer(3).pipe(map(() => batch.join('')));
      // a runs alone; the 8 requests during its run make one batch.
      expectObservable(hot('a(bcdefghi|)').pipe(coalesceRequests(run, fold))).toBe('---a--(x|)', { a: 'a', x: 'bcdefghi' });
    });
    expect(folds).toBe(9);
    expect(batches.size).toBe(2);
  });

  it('stops the running request when unsubscribed', () => {
    newScheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const inner = cold('-----x|');
      const run = () => inner;
      expectObservable(hot('a------').pipe(coalesceRequests(run, concatNames)), '^--!').toBe('---');
      expectSubscriptions(inner.subscriptions).toBe('^--!');
    });
  });
});
