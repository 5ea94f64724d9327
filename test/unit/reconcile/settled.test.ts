import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { settled } from '../../../src/reconcile/settled.js';

function replica(initial: readonly string[]) {
  let current = initial;
  const changes$ = new Subject<readonly string[]>();
  return {
    snapshot: () => current,
    changes$,
    set(next: readonly string[]) {
      current = next;
      changes$.next(next);
    },
  };
}

const missing = (want: readonly string[]) => (have: readonly string[]) => want.filter((w) => !have.includes(w));

describe('settled', () => {
  it('resolves empty at once when nothing is pending', async () => {
    await expect(settled(replica(['a']), missing(['a']), 1000)).resolves.toEqual([]);
  });

  it('resolves empty on the change that settles it', async () => {
    const r = replica([]);
    const done = settled(r, missing(['a', 'b']), 5000);
    r.set(['a']);
    r.set(['a', 'b']);
    await expect(done).resolves.toEqual([]);
  });

  it('gives what is still pending when the time is up', async () => {
    const r = replica([]);
    const done = settled(r, missing(['a', 'b']), 20);
    r.set(['a']);
    await expect(done).resolves.toEqual(['b']);
  });
});
