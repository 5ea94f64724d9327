// Findings of an adversarial run against the manifest loader, one test each. Time bounds are generous
// (a loaded CI box) but far below what the loader took before: the point is linear, not fast.
import { describe, expect, it } from 'vitest';
import { MAX_FILE_BYTES, parseManifestFile, parseManifestText, resolveTenantSet } from '../../../src/manifests/index.js';
import { tenantYaml } from './manifest-text.js';

/** Runs fn, returns its result and the wall time in ms. */
function timed<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const r = fn();
  return [r, performance.now() - t0];
}

/** `n` tenants in one file, 1.5 MB for 10,000 (the finding's shape). */
export function manyTenants(n: number): string {
  const docs: string[] = [];
  for (let i = 0; i < n; i++) {
    const net = `10.${Math.floor(i / 256)}.${i % 256}`;
    docs.push(`apiVersion: nsvswitch/v1\nkind: Tenant\nmetadata: { name: t${i} }\nspec:\n  id: ${i + 1}\n  subnet: ${net}.0/24\n  gateway: ${net}.1\n  namespaces: ["t${i}-*"]\n`);
  }
  return docs.join('---\n');
}

function aliasFile(n: number): string {
  return `${tenantYaml({ metadata: 'metadata: { name: blue, labels: { a: &x "1" } }' })}  # ${n} aliases follow\n` + `---\nlist: [${Array(n).fill('*x').join(', ')}]\n`;
}

describe('hostile manifests are refused in time linear in their size', () => {
  it('20,000 aliases of one anchor (was 46 s): refused at the alias budget in well under a second', () => {
    // Aliases where the loader resolves them (each resolution used to walk the whole document).
    const text = tenantYaml({ namespaces: `[&x "blue-*", ${Array(20_000).fill('*x').join(', ')}]` });
    const [r, ms] = timed(() => parseManifestText('f.yaml', text));
    expect(r.problems.map((p) => `${p.line}: ${p.message}`)).toEqual(['8: more than 100 YAML aliases (*x) in this file: write the values out (each alias costs a walk of the whole document)']);
    expect(ms).toBeLessThan(1_500);
  });

  it('200,000 aliases (was still running after 180 s) are refused as fast', () => {
    const [r, ms] = timed(() => parseManifestText('f.yaml', tenantYaml({ namespaces: `[&x "blue-*", ${Array(200_000).fill('*x').join(', ')}]` })));
    expect(r.problems[0]?.message).toContain('more than 100 YAML aliases');
    expect(ms).toBeLessThan(8_000); // the time is yaml parsing 780 KiB (about 1.5 s on a loaded 2-CPU box)
  });

  it('counts aliases per file, across documents, and still resolves the few a file may hold', () => {
    expect(parseManifestText('f.yaml', aliasFile(150)).problems.map((p) => p.message)).toEqual([expect.stringContaining('more than 100 YAML aliases')]);
    const ok = parseManifestText('f.yaml', tenantYaml({ id: '&id 100', extra: ['staticAddresses: { blue-a: &ip 10.10.0.9 }'] }).replace('interface: { name: eth0, mtu: 1500 }', 'interface: { name: eth0, mtu: *id }'));
    expect(ok.problems).toEqual([]);
    expect(ok.tenants[0]?.interface.mtu).toBe(100);
    expect(parseManifestText('f.yaml', tenantYaml({ id: '*nope' })).problems.map((p) => `${p.line}: ${p.message}`)).toEqual(['5: invalid YAML: alias *nope has no anchor &nope before it']);
  });

  it('10,000 tenants in one file (was 64 s) validate, within and across files, in linear time', () => {
    const text = manyTenants(10_000);
    expect(text.length).toBeLessThan(MAX_FILE_BYTES);
    const [parsed, ms] = timed(() => parseManifestFile('big.yaml', text));
    expect(parsed.problems).toEqual([]);
    expect(parsed.tenants).toHaveLength(10_000);
    const [r, ms2] = timed(() => resolveTenantSet(new Map(), [{ parsed, hash: 'h', mtimeMs: 1 }, { parsed: parseManifestFile('late.yaml', manyTenants(1).replace('t0', 'late')), hash: 'l', mtimeMs: 2 }]));
    expect(r.set.tenants.size).toBe(10_000);
    expect(r.set.problems.map((p) => p.message)).toEqual([
      'spec.id 1 of tenant "late" is already used by tenant "t0" (big.yaml:5)', 'spec.subnet 10.0.0.0/24 of tenant "late" overlaps subnet 10.0.0.0/24 of tenant "t0" (big.yaml:6)',
      'namespace pattern "t0-*" of tenant "late" is also a pattern of tenant "t0" (big.yaml:8): a namespace matching it would belong to both',
    ]);
    expect(ms).toBeLessThan(8_000);
    expect(ms2).toBeLessThan(2_000);
  });

  it('a mapping with 100,000 keys (yaml\'s uniqueKeys check is quadratic: 2 minutes) is read in linear time, and its problems are capped', () => {
    const text = Array.from({ length: 100_000 }, (_, i) => `k${i}: ${i}`).join('\n');
    const [r, ms] = timed(() => parseManifestText('f.yaml', text));
    expect(r.problems).toHaveLength(101);
    expect(r.problems[100]?.message).toMatch(/^\d+ more problems in this file not shown$/);
    expect(ms).toBeLessThan(8_000);
    // Duplicate keys are still found, on their line.
    expect(parseManifestText('f.yaml', 'a: 1\nb: 2\na: 3\n').problems.map((p) => `${p.line}: ${p.message}`)).toEqual(['3: invalid YAML: Map keys must be unique']);
  });

  it('refuses a file over the size limit unparsed, naming the limit', () => {
    const text = `# ${'x'.repeat(MAX_FILE_BYTES)}\n`;
    const [r, ms] = timed(() => parseManifestText('huge.yaml', text));
    expect(r.problems.map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual(['huge.yaml:0: file is 2 MiB, more than the limit of 2 MiB per manifest file: split it']);
    expect(ms).toBeLessThan(500);
  });

  it('stops at 10,000 documents, and survives nesting 100,000 levels deep', () => {
    const docs = parseManifestText('f.yaml', '---\n'.repeat(20_000));
    expect(docs.problems.map((p) => p.message)).toEqual(['more than 10000 YAML documents in this file: split it into several files']);
    const [deep, ms] = timed(() => parseManifestText('f.yaml', `${'['.repeat(100_000)}${']'.repeat(100_000)}`));
    expect(deep.problems.length).toBeGreaterThan(0);
    expect(deep.tenants).toEqual([]);
    expect(ms).toBeLessThan(5_000);
    const nested = parseManifestText('f.yaml', tenantYaml({ metadata: `metadata: { name: blue, labels: ${'{a: '.repeat(40)}x${'}'.repeat(40)} }` }));
    expect(nested.problems.map((p) => p.message)).toContain('invalid YAML: nested more than 32 levels deep');
  });

  it('keeps "__proto__" and "constructor" static address keys as plain names, and finds nothing for an absent name', () => {
    const r = parseManifestText('f.yaml', tenantYaml({ namespaces: '["__proto__", "constructor"]', extra: ['staticAddresses: { __proto__: 10.10.0.9, constructor: 10.10.0.8 }'] }));
    expect(r.problems).toEqual([]);
    const sa = r.tenants[0]!.staticAddresses;
    expect(Object.keys(sa)).toEqual(['__proto__', 'constructor']);
    expect(sa['__proto__']).toBe('10.10.0.9');
    expect(sa['constructor']).toBe('10.10.0.8');
    expect(sa['toString']).toBeUndefined();
    expect(Object.hasOwn(sa, '__proto__')).toBe(true);
  });
});
