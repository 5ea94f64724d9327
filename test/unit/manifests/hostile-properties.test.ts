// Property test of the manifest loader with hostile shapes: whatever is thrown at it, it returns (never
// throws), within a time and memory bound proportional to the input, and never accepts an invalid tenant.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseManifestFile, resolveTenantSet } from '../../../src/manifests/index.js';
import { assertCompatible, assertValidTenant } from './tenant-invariants.js';
import { tenantYaml } from './manifest-text.js';

const VALID = tenantYaml();

/** One hostile fragment, as YAML text. */
const fragment = fc.oneof(
  fc.integer({ min: 1, max: 3_000 }).map((d) => `${'['.repeat(d)}${']'.repeat(d)}\n`),
  fc.integer({ min: 1, max: 2_000 }).map((d) => `${Array.from({ length: d }, (_, i) => `${' '.repeat(i)}k:`).join('\n')} x\n`),
  fc.integer({ min: 1, max: 500 }).map((d) => `${'{a: '.repeat(d)}1${'}'.repeat(d)}\n`),
  fc.constantFrom('__proto__: {polluted: yes}\n', 'constructor: {prototype: {x: 1}}\n', '"__proto__": [1]\n', '? [a, b]\n: c\n', '? {a: 1}\n: x\n'),
  fc.integer({ min: 1, max: 50_000 }).map((n) => `a: &x [1, 2, 3]\nb: [${Array(n).fill('*x').join(',')}]\n`),
  fc.integer({ min: 1, max: 12 }).map((n) => {
    // billion laughs: each level n times the one before.
    const lines = ['l0: &l0 [lol, lol]'];
    for (let i = 1; i <= n; i++) lines.push(`l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(', ')}]`);
    return `${lines.join('\n')}\n`;
  }),
  fc.integer({ min: 1, max: 600_000 }).map((n) => `s: ${'x'.repeat(n)}\n`),
  fc.integer({ min: 1, max: 300_000 }).map((n) => `s: "${'\\u0041'.repeat(Math.ceil(n / 6))}"\n`),
  fc.integer({ min: 1, max: 30_000 }).map((n) => '---\n'.repeat(n)),
  fc.integer({ min: 1, max: 30_000 }).map((n) => Array.from({ length: n }, (_, i) => `k${i}: v`).join('\n') + '\n'),
  fc.integer({ min: 1, max: 5_000 }).map((n) => `${VALID}---\n`.repeat(n)),
  fc.constant(VALID),
  fc.constant(tenantYaml({ namespaces: '["*"]' })),
  fc.constant(tenantYaml({ namespaces: '["+(a|aa)+(a|aa)b"]' })),
  fc.constant(tenantYaml({ extra: ['staticAddresses: { __proto__: 10.10.0.9 }'] })),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

/** A fixed benign load (about 20 KB of valid documents) timed in the same run: how slow this machine is right now. */
const CALIBRATION = `${VALID}---\n`.repeat(Math.ceil(20_000 / (VALID.length + 4)));
/** The calibration's time on an idle 2-core machine, ms (40 ms seen at load 9): the bound below is scaled by the slowdown seen now. */
const CALIBRATION_IDLE_MS = 15;

function calibrationMs(): number {
  const t0 = performance.now();
  resolveTenantSet(new Map(), [{ parsed: parseManifestFile('c.yaml', CALIBRATION), hash: 'c', mtimeMs: 1 }]);
  return performance.now() - t0;
}

describe('manifest loader under hostile input', () => {
  it('returns within a time and memory bound, never throws, never accepts an invalid tenant', () => {
    calibrationMs(); // warm-up: the first run pays for compilation.
    fc.assert(
      fc.property(fc.array(fragment, { minLength: 1, maxLength: 4 }), fc.boolean(), (parts, separate) => {
        const text = parts.join(separate ? '---\n' : '');
        // The time bound is linear in the input and scaled by how loaded the machine is now (a ratio to the
        // calibration load, timed beside each case): a busy machine slows both alike, a superlinear parse does not.
        const slowdown = Math.max(1, Math.min(calibrationMs(), calibrationMs()) / CALIBRATION_IDLE_MS);
        const heap0 = process.memoryUsage().heapUsed;
        const t0 = performance.now();
        const parsed = parseManifestFile('h.yaml', text);
        const r = resolveTenantSet(new Map(), [{ parsed, hash: 'h', mtimeMs: 1 }]);
        const ms = performance.now() - t0;
        const heapMb = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
        // Linear: about 2 µs per input byte on a loaded machine, plus a constant.
        expect(ms, `${text.length} bytes took ${ms.toFixed(0)} ms (machine ${slowdown.toFixed(1)}x slower than idle)`).toBeLessThan((1_500 + text.length / 250) * slowdown);
        // heapUsed without a forced GC counts garbage too (the yaml lexer's tokens: one per "*x" of a
        // 20,000-alias sequence the loader then refuses): a linear bound of 1 KiB per input byte.
        expect(heapMb, `${text.length} bytes grew the heap by ${heapMb.toFixed(0)} MiB`).toBeLessThan(100 + (1024 * text.length) / 2 ** 20);
        for (const p of parsed.problems) {
          expect(p.file).toBe('h.yaml');
          expect(Number.isInteger(p.line) && p.line >= 0).toBe(true);
        }
        expect(parsed.problems.length).toBeLessThanOrEqual(101);
        const inForce = [...r.set.tenants.values()];
        inForce.forEach(assertValidTenant);
        assertCompatible(inForce);
        expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      }),
      { numRuns: 60 },
    );
  }, 240_000);
});
