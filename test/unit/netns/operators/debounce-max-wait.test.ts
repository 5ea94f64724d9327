import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { debounceMaxWait } from '../../../../src/netns/operators/debounce-max-wait.js';

const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('debounceMaxWait', () => {
  it('emits the last value of a burst after the quiet period', () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      expectObservable(hot('ab-c---------|').pipe(debounceMaxWait(3, 100, ts))).toBe('------c------|');
    });
  });

  it('emits at the max wait when events never stop, then starts a new burst', () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      // An event every 2 frames with a 3-frame quiet period would never fire; max wait 5 forces it.
      expectObservable(hot('a-b-c-d-e-f-g-----|').pipe(debounceMaxWait(3, 5, ts))).toBe('-----c-----f---g--|');
    });
  });

  it('flushes the pending value on completion', () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      expectObservable(hot('a-|').pipe(debounceMaxWait(10, 20, ts))).toBe('--(a|)');
    });
  });
});
