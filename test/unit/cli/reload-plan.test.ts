import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/config/index.js';
import { reloadPlan } from '../../../src/cli/reload-plan.js';

describe('reloadPlan (SIGHUP)', () => {
  it('applies a new log level and names every other changed key as needing a restart', () => {
    expect(reloadPlan(DEFAULT_CONFIG, { ...DEFAULT_CONFIG })).toEqual({ logLevel: undefined, needRestart: [] });
    expect(reloadPlan(DEFAULT_CONFIG, { ...DEFAULT_CONFIG, logLevel: 'debug' })).toEqual({ logLevel: 'debug', needRestart: [] });
    expect(reloadPlan(DEFAULT_CONFIG, { ...DEFAULT_CONFIG, logLevel: 'warn', bridge: 'br-x', namespaceDirs: ['/a'] })).toEqual({
      logLevel: 'warn',
      needRestart: ['bridge', 'namespaceDirs'],
    });
  });
});
