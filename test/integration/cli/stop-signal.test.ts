import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CHILD = fileURLToPath(new URL('../../fixtures/stop-signal-child.ts', import.meta.url));
const runChild = (mode: 'ours' | 'once') => execa(process.execPath, ['--import', 'tsx', CHILD, mode], { reject: false });

/**
 * `nsvswitch run` drains on SIGTERM and exits 0. A SIGTERM that lands while
 * one of the agent's child processes runs must not kill it mid-drain.
 */
describe('stop signals during a child process', () => {
  it('onStopSignal drains to the end and exits 0, a repeated signal included', async () => {
    const r = await runChild('ours');
    expect(r.stdout.split('\n')).toEqual(['draining', 'repeat SIGTERM', 'drained']);
    expect([r.exitCode, r.signal]).toEqual([0, undefined]);
  });

  it('(the premise) with process.once the process dies of SIGTERM before the drain ends', async () => {
    const r = await runChild('once');
    expect(r.stdout).toBe('draining');
    expect(r.signal).toBe('SIGTERM');
  });
});
