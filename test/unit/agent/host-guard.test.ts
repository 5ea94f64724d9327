import { describe, expect, it } from 'vitest';
import { disablesTxChecksum } from '../../../src/agent/host-guard.js';

describe('disablesTxChecksum', () => {
  it.each([
    ['auto', 'netdev', true],
    ['auto', 'system', false],
    ['off', 'netdev', true],
    ['off', 'system', true],
    ['keep', 'netdev', false],
    ['keep', 'system', false],
  ] as const)('%s on %s -> %s', (txChecksumOffload, datapathType, want) => {
    expect(disablesTxChecksum({ txChecksumOffload, datapathType })).toBe(want);
  });
});
