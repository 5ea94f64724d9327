import { describe, expect, it } from 'vitest';
import { applyPerNamespace } from '../../../src/plumbing/per-namespace.js';

describe('applyPerNamespace', () => {
  it('runs in-process for every target when it can, errors by index, the others unharmed', async () => {
    const done: string[] = [];
    const failed = await applyPerNamespace(['a', 'b', 'c'], 2, (t) => {
      if (t === 'b') throw new Error('b failed');
      done.push(t);
    }, () => Promise.reject(new Error('no process expected')));
    expect(done).toEqual(['a', 'c']);
    expect([...failed.keys()]).toEqual([1]);
    expect(failed.get(1)?.message).toBe('b failed');
  });

  it('spawns per target without the in-process path, bounded, errors by index', async () => {
    let running = 0;
    let most = 0;
    const failed = await applyPerNamespace(['a', 'b', 'c', 'd'], 2, undefined, async (t) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (t === 'd') throw new Error('d failed');
    });
    expect(most).toBeLessThanOrEqual(2);
    expect([...failed.entries()].map(([i, e]) => [i, e.message])).toEqual([[3, 'd failed']]);
  });
});
