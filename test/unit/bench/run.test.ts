import { describe, expect, it } from 'vitest';
import { orderBenches } from '../../../bench/run.js';

describe('orderBenches', () => {
  it('runs the narrow benches first, the burst last among the known ones, and unknown ones after, alphabetically', () => {
    expect(orderBenches(['zeta', 'burst', 'alpha', 'flows', 'ovsdb-transactions', 'netns-events'])).toEqual([
      'ovsdb-transactions', 'netns-events', 'flows', 'burst', 'alpha', 'zeta',
    ]);
  });
});
