import { describe, expect, it } from 'vitest';
import { parseManifestFile, resolveTenantSet, type AcceptedVersion, type FileSnapshot } from '../../../src/manifests/index.js';
import { tenantDoc } from './manifest-text.js';

let clock = 0;
/** A file snapshot; later calls get later mtimes unless given one. */
function snap(file: string, text: string, mtimeMs = ++clock): FileSnapshot {
  return { parsed: parseManifestFile(file, text), hash: text, mtimeMs };
}

const blue = tenantDoc({ name: 'blue', id: 100, subnet: '10.10.0.0/24' });
const green = tenantDoc({ name: 'green', id: 200, subnet: '10.20.0.0/24' });
const none: ReadonlyMap<string, AcceptedVersion> = new Map();

function names(r: ReturnType<typeof resolveTenantSet>): string[] {
  return [...r.set.tenants.keys()].sort();
}

function messages(r: ReturnType<typeof resolveTenantSet>): string[] {
  return r.set.problems.map((p) => `${p.file}:${p.line}: ${p.message}`);
}

describe('resolveTenantSet: cross-file rules', () => {
  it('puts tenants of every good file in force', () => {
    const r = resolveTenantSet(none, [snap('a.yaml', blue), snap('b.yaml', green)]);
    expect(names(r)).toEqual(['blue', 'green']);
    expect(r.set.problems).toEqual([]);
    expect(r.set.files).toEqual([
      { file: 'a.yaml', state: 'accepted', tenants: ['blue'], lastGoodInForce: false, problems: 0 },
      { file: 'b.yaml', state: 'accepted', tenants: ['green'], lastGoodInForce: false, problems: 0 },
    ]);
  });

  const conflicts: [string, string, string][] = [
    ['duplicate name', tenantDoc({ name: 'blue', id: 300, subnet: '10.30.0.0/24', namespaces: ['b-*'] }), 'b.yaml:3: tenant "blue" is already defined at a.yaml:3'],
    ['duplicate id', tenantDoc({ name: 'red', id: 100, subnet: '10.30.0.0/24' }), 'b.yaml:5: spec.id 100 of tenant "red" is already used by tenant "blue" (a.yaml:5)'],
    ['overlapping subnet', tenantDoc({ name: 'red', id: 300, subnet: '10.10.0.0/23' }), 'b.yaml:6: spec.subnet 10.10.0.0/23 of tenant "red" overlaps subnet 10.10.0.0/24 of tenant "blue" (a.yaml:6)'],
    ['identical namespace pattern', tenantDoc({ name: 'red', id: 300, subnet: '10.30.0.0/24', namespaces: ['blue-*'] }), 'b.yaml:8: namespace pattern "blue-*" of tenant "red" is also a pattern of tenant "blue" (a.yaml:8): a namespace matching it would belong to both'],
  ];

  it.each(conflicts)('rejects the newer file on a %s, naming the other file:line', (_name, text, message) => {
    const r = resolveTenantSet(none, [snap('a.yaml', blue, 1), snap('b.yaml', text, 2)]);
    expect(names(r)).toEqual(['blue']);
    expect(messages(r)).toEqual([message]);
    expect(r.set.files?.find((f) => f.file === 'b.yaml')).toEqual({ file: 'b.yaml', state: 'rejected', tenants: [], lastGoodInForce: false, problems: 1 });
  });

  it('rejects the newer file whatever the names: an older z.yaml wins over a newer a.yaml', () => {
    const clash = tenantDoc({ name: 'red', id: 100, subnet: '10.30.0.0/24' });
    const r = resolveTenantSet(none, [snap('a.yaml', clash, 5), snap('z.yaml', blue, 1)]);
    expect(names(r)).toEqual(['blue']);
    expect(messages(r)).toEqual(['a.yaml:5: spec.id 100 of tenant "red" is already used by tenant "blue" (z.yaml:5)']);
  });

  it('breaks an mtime tie by path', () => {
    const clash = tenantDoc({ name: 'red', id: 100, subnet: '10.30.0.0/24' });
    const r = resolveTenantSet(none, [snap('b.yaml', clash, 7), snap('a.yaml', blue, 7)]);
    expect(names(r)).toEqual(['blue']);
  });

  it('keeps the file in force when a changed file conflicts with it, even if the changed file is older', () => {
    const first = resolveTenantSet(none, [snap('a.yaml', blue, 10), snap('b.yaml', green, 1)]);
    const r = resolveTenantSet(first.accepted, [snap('a.yaml', blue, 10), snap('b.yaml', tenantDoc({ name: 'green', id: 100, subnet: '10.20.0.0/24' }), 2)]);
    expect(names(r)).toEqual(['blue', 'green']);
    expect(r.set.tenants.get('green')?.id).toBe(200);
    expect(r.set.files?.find((f) => f.file === 'b.yaml')).toMatchObject({ state: 'rejected', lastGoodInForce: true, tenants: ['green'] });
  });
});

describe('resolveTenantSet: reload semantics', () => {
  it('keeps the last good version of a file whose new version has a problem, and only that file', () => {
    const first = resolveTenantSet(none, [snap('a.yaml', blue), snap('b.yaml', green)]);
    const broken = blue.replace('id: 100', 'id: 0');
    const greener = green.replace('10.20.0.0/24', '10.21.0.0/24');
    const r = resolveTenantSet(first.accepted, [snap('a.yaml', broken), snap('b.yaml', greener)]);
    expect(r.set.tenants.get('blue')?.id).toBe(100);
    expect(r.set.tenants.get('green')?.subnet).toBe('10.21.0.0/24');
    expect(messages(r)).toEqual(['a.yaml:5: spec.id must be an integer from 1 to 16777215, got number 0']);
    expect(r.rejected.get('a.yaml')?.hash).toBe(broken);
  });

  it('rejects a new file with a problem outright (no earlier version)', () => {
    const r = resolveTenantSet(none, [snap('a.yaml', 'kind: Tenant\n')]);
    expect(r.set.tenants.size).toBe(0);
    expect(r.set.files).toEqual([{ file: 'a.yaml', state: 'rejected', tenants: [], lastGoodInForce: false, problems: 3 }]);
  });

  it('removes the tenants of a deleted file, also of one whose last good version was in force', () => {
    const first = resolveTenantSet(none, [snap('a.yaml', blue), snap('b.yaml', green)]);
    const bad = resolveTenantSet(first.accepted, [snap('a.yaml', 'oops: 1\n'), snap('b.yaml', green)]);
    expect(names(bad)).toEqual(['blue', 'green']);
    const r = resolveTenantSet(bad.accepted, [snap('b.yaml', green)]);
    expect(names(r)).toEqual(['green']);
    expect(r.set.problems).toEqual([]);
    expect(r.accepted.has('a.yaml')).toBe(false);
  });

  it('lets a rejected file in once the file it conflicted with is fixed or deleted', () => {
    const clash = tenantDoc({ name: 'red', id: 100, subnet: '10.30.0.0/24' });
    const first = resolveTenantSet(none, [snap('a.yaml', blue, 1), snap('b.yaml', clash, 2)]);
    expect(names(first)).toEqual(['blue']);
    const r = resolveTenantSet(first.accepted, [snap('b.yaml', clash, 2)]);
    expect(names(r)).toEqual(['red']);
    expect(r.set.problems).toEqual([]);
  });

  it('moves a tenant between files changed in the same pass (removal in one, addition in the other)', () => {
    const first = resolveTenantSet(none, [snap('a.yaml', `${blue}---\n${green}`, 1)]);
    const r = resolveTenantSet(first.accepted, [snap('b.yaml', green, 2), snap('a.yaml', blue, 3)]);
    expect(names(r)).toEqual(['blue', 'green']);
    expect(r.set.tenants.get('green')?.source.file).toBe('b.yaml');
    expect(r.set.problems).toEqual([]);
  });

  it('changes nothing for unchanged files (same hash): their versions in force are kept as they are', () => {
    const a = snap('a.yaml', blue);
    const first = resolveTenantSet(none, [a]);
    const r = resolveTenantSet(first.accepted, [snap('a.yaml', blue)]);
    expect(r.accepted.get('a.yaml')).toBe(first.accepted.get('a.yaml'));
  });
});
