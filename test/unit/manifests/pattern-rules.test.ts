import fc from 'fast-check';
import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../../src/manifests/index.js';
import { patternFault } from '../../../src/manifests/pattern-rules.js';
import { tenantYaml } from './manifest-text.js';

function problemsFor(pattern: string): string[] {
  return parseManifestText('t.yaml', tenantYaml({ namespaces: JSON.stringify([pattern]) })).problems.map((p) => `${p.line}: ${p.message}`);
}

describe('namespace patterns that match every namespace', () => {
  // Found by an adversarial run: each of these passed validate and, dropped into the directory,
  // put every working namespace in conflict.
  const catchAll = ['*', '**', '?*', '*?', '!(x)', '!blue-*', '[^0-9]*', '/**', '/**/*', '/*/**', '/run/**'];
  it.each(catchAll)('refuses %j with the line and the reason', (p) => {
    const problems = problemsFor(p);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^8: spec\\.namespaces\\[0\\] ${JSON.stringify(p).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} matches every namespace`));
    expect(problems[0]).toContain('it would take every workload from its tenant');
  });

  it('refuses "*/**" (a relative path pattern) and wildcards inside groups ("{*,x}", "@(*)", "?(*)") for other reasons', () => {
    expect(problemsFor('*/**')[0]).toContain('is not an absolute path');
    for (const p of ['{*,x}', '@(*)', '?(*)']) expect(problemsFor(p)[0]).toContain('has a wildcard or group inside a group');
  });

  const selective = ['blue-*', '*-web', 'blue-db', 'b?ue-[0-9]', '{blue,green}-*', '/run/docker/netns/*', '/run/netns/blue-*', '/run/docker/netns/**', '[a-f]*', '.*'];
  it.each(selective)('accepts the selective pattern %j', (p) => {
    expect(problemsFor(p)).toEqual([]);
  });
});

describe('namespace patterns whose matching could take exponential time', () => {
  const slow: [string, string][] = [
    ['+(a|aa)b', 'uses the repetition +(…)'],
    ['*(a|aa)b', 'uses the repetition *(…)'],
    ['*a*a*a*b', 'has 4 variable-width parts'],
    ['{a,aa}*{a,aa}*b', 'has 4 variable-width parts'],
    ['@(a|*)x', 'has a wildcard or group inside a group'],
    // Found by the property below: the rule read "**" then a plain group; picomatch reads "*(a|aa)" (it hung the suite).
    ['aa**(a|aa)', 'uses the repetition *(…)'],
    [`x${'y'.repeat(300)}*`, 'is longer than 255 characters'],
  ];
  it.each(slow)('refuses %j', (p, reason) => {
    const problems = problemsFor(p);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(reason);
  });

  // The property behind the rule: whatever the pattern, if validation accepts it, matching it against
  // the names that make backtracking regexes explode stays fast.
  it('every accepted pattern matches adversarial names in a few milliseconds', () => {
    const token = fc.constantFrom('a', 'aa', '-', '*', '**', '?', '[a-z]', '{a,aa}', '@(a|aa)', '?(a|aa)', '!(a|aa)', '+(a|aa)', '*(a|aa)', 'b', '/');
    const names = ['a'.repeat(255), `${'a'.repeat(254)}!`, `/run/netns/${'a'.repeat(250)}`, `/${'a/'.repeat(120)}c`];
    fc.assert(
      fc.property(fc.array(token, { minLength: 1, maxLength: 10 }), (parts) => {
        const p = parts.join('');
        if (p.includes('/') && !p.startsWith('/')) return;
        if (patternFault(p) !== undefined) return;
        const m = picomatch(p, { dot: true });
        for (const n of names) {
          const t0 = performance.now();
          m(n);
          expect(performance.now() - t0, `${p} on ${n.slice(0, 20)}…`).toBeLessThan(50);
        }
      }),
      { numRuns: 300 },
    );
  });
});
