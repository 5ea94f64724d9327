import { describe, expect, it } from 'vitest';
import { InProcessFallback } from '../../../src/plumbing/in-process-step.js';
import type { Logger } from '../../../src/observe/logger.js';

class Refused extends Error {}
class Wrapped extends Error {}

function fallback(mode: 'auto' | 'native') {
  const warnings: string[] = [];
  const logger = { warn: (_fields: unknown, msg: string) => void warnings.push(msg) } as unknown as Logger;
  const f = new InProcessFallback({
    mode, logger, fields: { table: 't' }, message: 'in-process failed: process used',
    wrap: (step, names, err) => new Wrapped(`${step} ${names.join(',')}: ${err.message}`),
    passThrough: (err) => err instanceof Refused,
  });
  return { f, warnings };
}

describe('InProcessFallback', () => {
  it('answers the step\'s value when it runs', () => {
    expect(fallback('native').f.run('list', [], () => 42)).toBe(42);
  });

  it('auto: a step that cannot run answers undefined (the caller runs the process), said once for every failure', () => {
    const { f, warnings } = fallback('auto');
    const boom = () => { throw new Error('no socket'); };
    expect(f.run('list', ['a'], boom)).toBeUndefined();
    expect(f.run('list', ['b'], boom)).toBeUndefined();
    expect(warnings).toEqual(['in-process failed: process used']);
  });

  it('native: the failure is thrown, wrapped with the step and the names', () => {
    const { f, warnings } = fallback('native');
    expect(() => f.run('list', ['a'], () => { throw new Error('no socket'); })).toThrow(new Wrapped('list a: no socket'));
    expect(warnings).toEqual([]);
  });

  it('a refusal the process would meet too is thrown as it is, in every mode', () => {
    for (const mode of ['auto', 'native'] as const) {
      const { f } = fallback(mode);
      expect(() => f.run('write', [], () => { throw new Refused('EINVAL'); })).toThrow(Refused);
    }
  });
});
