import { describe, expect, it } from 'vitest';
import { deferCleanup, pendingCleanups, runAllCleanups } from '../../../../bench/lib/cleanup.js';

describe('deferred cleanup', () => {
  it('runs pending steps newest first and keeps going past a failing one', async () => {
    const done: string[] = [];
    const logged: string[] = [];
    deferCleanup('sandbox', () => void done.push('sandbox'));
    deferCleanup('sleepers', () => {
      throw new Error('kill failed');
    });
    deferCleanup('monitor', async () => void done.push('monitor'));
    await runAllCleanups((m) => logged.push(m));
    expect(done).toEqual(['monitor', 'sandbox']);
    expect(logged).toEqual(['cleanup of sleepers failed: kill failed']);
    expect(pendingCleanups()).toEqual([]);
  });

  it('runs a step once, whether undone early or at the end', async () => {
    let count = 0;
    const undo = deferCleanup('agent', () => void count++);
    await undo();
    await undo();
    await runAllCleanups();
    expect(count).toBe(1);
  });
});
