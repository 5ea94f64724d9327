import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { map, throwError, timer } from 'rxjs';
import { runCoalesced } from '../../../src/reconcile/run-coalesced.js';

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('runCoalesced', () => {
  it('runs the first trigger at once and folds triggers during a run into one follow-up batch', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const triggers = hot('a-bc----------|');
      // Each run takes 5 frames and emits its batch joined.
      const out = triggers.pipe(runCoalesced((batch) => timer(5).pipe(map(() => batch.join('')))));
      expectObservable(out).toBe('-----x----y---|', { x: 'a', y: 'bc' });
    });
  });

  it('keeps going after a failed run and reports the error with its batch', () => {
    const errors: string[] = [];
    scheduler().run(({ hot, expectObservable }) => {
      const triggers = hot('a--b--|');
      const out = triggers.pipe(
        runCoalesced(
          (batch) => (batch[0] === 'a' ? throwError(() => new Error('boom')) : timer(1).pipe(map(() => batch.join('')))),
          (err, batch) => errors.push(`${(err as Error).message}:${batch.join('')}`),
        ),
      );
      expectObservable(out).toBe('----b-|');
    });
    expect(errors).toEqual(['boom:a']);
  });

  it('never overlaps runs', () => {
    let active = 0;
    let maxActive = 0;
    scheduler().run(({ hot, expectObservable }) => {
      const triggers = hot('ab-c---|');
      const out = triggers.pipe(
        runCoalesced((batch) => {
          active++;
          maxActive = Math.max(maxActive, active);
          return timer(5).pipe(map(() => {
            active--;
            return batch.length;
          }));
        }),
      );
      expectObservable(out).toBe('-----x----(y|)', { x: 1, y: 2 });
    });
    expect(maxActive).toBe(1);
  });
});
