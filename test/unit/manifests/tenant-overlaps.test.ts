import { describe, expect, it } from 'vitest';
import { parseManifestFile, parseManifestText, resolveTenantSet, type AcceptedVersion, type FileSnapshot, type NamespaceRef } from '../../../src/manifests/index.js';
import { tenantDoc } from './manifest-text.js';

const none: ReadonlyMap<string, AcceptedVersion> = new Map();
const snap = (file: string, text: string, mtimeMs: number): FileSnapshot => ({ parsed: parseManifestFile(file, text), hash: text, mtimeMs });
const messages = (r: ReturnType<typeof resolveTenantSet>): string[] => r.set.problems.map((p) => `${p.file}:${p.line}: ${p.message}`);
const ns = (path: string): NamespaceRef => ({ path, name: path.slice(path.lastIndexOf('/') + 1), dir: path.slice(0, path.lastIndexOf('/')) });

const blue = tenantDoc({ name: 'blue', id: 100, subnet: '10.10.0.0/24', namespaces: ['blue-*'] });

describe('overlapping namespace patterns (decidable cases), with both file:line', () => {
  const cases: [string, string[], string][] = [
    ['a literal name matched by the other tenant\'s glob', ['blue-db'], 'b.yaml:8: namespace pattern "blue-db" of tenant "red" is matched by pattern "blue-*" of tenant "blue" (a.yaml:8): namespace "blue-db" would belong to both'],
    ['a literal path matched by the other tenant\'s name glob', ['/run/netns/blue-db'], 'b.yaml:8: namespace pattern "/run/netns/blue-db" of tenant "red" is matched by pattern "blue-*" of tenant "blue" (a.yaml:8): namespace "blue-db" would belong to both'],
  ];
  it.each(cases)('rejects the newer file: %s', (_n, namespaces, message) => {
    const red = tenantDoc({ name: 'red', id: 200, subnet: '10.20.0.0/24', namespaces });
    const r = resolveTenantSet(none, [snap('a.yaml', blue, 1), snap('b.yaml', red, 2)]);
    expect(messages(r)).toEqual([message]);
    expect([...r.set.tenants.keys()]).toEqual(['blue']);
  });

  it('rejects a glob that matches a literal already in force (the other direction)', () => {
    const db = tenantDoc({ name: 'db', id: 300, subnet: '10.30.0.0/24', namespaces: ['blue-db'] });
    const r = resolveTenantSet(none, [snap('a.yaml', db, 1), snap('b.yaml', blue, 2)]);
    expect(messages(r)).toEqual(['b.yaml:8: namespace pattern "blue-*" of tenant "blue" matches pattern "blue-db" of tenant "db" (a.yaml:8): namespace "blue-db" would belong to both']);
  });

  it('rejects a literal name and a literal path naming the same namespace, and a path glob taking a literal name', () => {
    const a = tenantDoc({ name: 'a', id: 1, subnet: '10.1.0.0/24', namespaces: ['/run/netns/x1', '/run/docker/netns/web-*'] });
    const b = tenantDoc({ name: 'b', id: 2, subnet: '10.2.0.0/24', namespaces: ['x1', 'web-7'] });
    expect(messages(resolveTenantSet(none, [snap('a.yaml', a, 1), snap('b.yaml', b, 2)]))).toEqual([
      'b.yaml:8: namespace pattern "x1" of tenant "b" and pattern "/run/netns/x1" of tenant "a" (a.yaml:8) name the same namespace "x1": it would belong to both',
      'b.yaml:8: namespace pattern "web-7" of tenant "b" is matched by pattern "/run/docker/netns/web-*" of tenant "a" (a.yaml:8): namespace "web-7" would belong to both',
    ]);
  });

  it('applies within one file too', () => {
    const text = `${blue}---\n${tenantDoc({ name: 'red', id: 200, subnet: '10.20.0.0/24', namespaces: ['blue-db'] })}`;
    expect(parseManifestText('f.yaml', text).problems.map((p) => `${p.line}: ${p.message}`)).toEqual([
      '17: namespace pattern "blue-db" of tenant "red" is matched by pattern "blue-*" of tenant "blue" (f.yaml:8): namespace "blue-db" would belong to both',
    ]);
  });

  it('accepts patterns that select different namespaces', () => {
    const red = tenantDoc({ name: 'red', id: 200, subnet: '10.20.0.0/24', namespaces: ['red-*', 'bluex', '/run/docker/netns/blue-1'] });
    const r = resolveTenantSet(none, [snap('a.yaml', tenantDoc({ name: 'blue', id: 100, subnet: '10.10.0.0/24', namespaces: ['blue-*', '/run/netns/b-*'] }), 1), snap('b.yaml', red, 2)]);
    // "/run/docker/netns/blue-1" is matched by "blue-*": a conflict.
    expect(messages(r)).toHaveLength(1);
    const ok = resolveTenantSet(none, [snap('a.yaml', blue, 1), snap('b.yaml', tenantDoc({ name: 'red', id: 200, subnet: '10.20.0.0/24', namespaces: ['red-*', 'bluex', '/run/docker/netns/b-1'] }), 2)]);
    expect(ok.set.problems).toEqual([]);
  });
});

describe('subnet overlap through the index', () => {
  it('finds a subnet inside, containing, or equal to one in force', () => {
    const wide = tenantDoc({ name: 'wide', id: 1, subnet: '10.0.0.0/8' });
    const narrow = tenantDoc({ name: 'narrow', id: 2, subnet: '10.200.3.0/24' });
    const other = tenantDoc({ name: 'other', id: 3, subnet: '192.168.0.0/16' });
    expect(messages(resolveTenantSet(none, [snap('a.yaml', narrow, 1), snap('b.yaml', wide, 2)]))).toEqual(['b.yaml:6: spec.subnet 10.0.0.0/8 of tenant "wide" overlaps subnet 10.200.3.0/24 of tenant "narrow" (a.yaml:6)']);
    expect(messages(resolveTenantSet(none, [snap('a.yaml', wide, 1), snap('b.yaml', narrow, 2)]))).toEqual(['b.yaml:6: spec.subnet 10.200.3.0/24 of tenant "narrow" overlaps subnet 10.0.0.0/8 of tenant "wide" (a.yaml:6)']);
    expect(resolveTenantSet(none, [snap('a.yaml', wide, 1), snap('b.yaml', other, 2)]).set.problems).toEqual([]);
  });

  it('forgets the subnets of a file whose new version no longer has them', () => {
    const first = resolveTenantSet(none, [snap('a.yaml', tenantDoc({ name: 'a', id: 1, subnet: '10.0.0.0/8' }), 1)]);
    const r = resolveTenantSet(first.accepted, [snap('a.yaml', tenantDoc({ name: 'a', id: 1, subnet: '172.16.0.0/16' }), 3), snap('b.yaml', tenantDoc({ name: 'b', id: 2, subnet: '10.1.0.0/16' }), 2)]);
    expect(r.set.problems).toEqual([]);
    expect([...r.set.tenants.keys()].sort()).toEqual(['a', 'b']);
  });
});

describe('run time: a change that would put existing namespaces into conflict', () => {
  const web = tenantDoc({ name: 'web', id: 300, subnet: '10.30.0.0/24', namespaces: ['*-web'] });
  const namespaces = [ns('/run/netns/blue-web'), ns('/run/netns/blue-db'), ns('/run/netns/shop-web')];

  it('rejects a new file as a whole, naming the namespace and both tenants; the workload keeps its tenant', () => {
    const first = resolveTenantSet(none, [snap('a.yaml', blue, 1)], { namespaces });
    const r = resolveTenantSet(first.accepted, [snap('a.yaml', blue, 1), snap('b.yaml', web, 2)], { namespaces });
    expect([...r.set.tenants.keys()]).toEqual(['blue']);
    expect(messages(r)).toEqual([
      'b.yaml:8: namespace pattern "*-web" of tenant "web" matches namespace /run/netns/blue-web, which pattern "blue-*" of tenant "blue" (a.yaml:8) also matches: the namespace would be in conflict and unplugged, so this version of the file is not taken',
    ]);
    expect(r.set.files?.find((f) => f.file === 'b.yaml')).toMatchObject({ state: 'rejected', tenants: [] });
  });

  it('keeps the last good version of a changed file, and takes the file once the namespace is gone', () => {
    const shop = tenantDoc({ name: 'shop', id: 300, subnet: '10.30.0.0/24', namespaces: ['shop-*'] });
    const first = resolveTenantSet(none, [snap('a.yaml', blue, 1), snap('b.yaml', shop, 2)], { namespaces });
    const r = resolveTenantSet(first.accepted, [snap('a.yaml', blue, 1), snap('b.yaml', web, 3)], { namespaces });
    expect(r.set.tenants.get('shop')?.namespaces).toEqual(['shop-*']);
    expect(r.set.files?.find((f) => f.file === 'b.yaml')).toMatchObject({ state: 'rejected', lastGoodInForce: true });
    const later = resolveTenantSet(r.accepted, [snap('a.yaml', blue, 1), snap('b.yaml', web, 3)], { namespaces: namespaces.filter((n) => n.name !== 'blue-web') });
    expect(later.set.problems).toEqual([]);
    expect(later.set.tenants.has('web')).toBe(true);
  });

  it('does not blame a change for a conflict that already exists, and checks nothing without namespaces', () => {
    expect(resolveTenantSet(none, [snap('a.yaml', blue, 1), snap('b.yaml', web, 2)]).set.problems).toEqual([]);
    const both = resolveTenantSet(none, [snap('a.yaml', blue, 1), snap('b.yaml', web, 2)]);
    const edited = web.replace('10.30.0.0/24', '10.31.0.0/24');
    const r = resolveTenantSet(both.accepted, [snap('a.yaml', blue, 1), snap('b.yaml', edited, 3)], { namespaces });
    expect(r.set.problems).toEqual([]);
    expect(r.set.tenants.get('web')?.subnet).toBe('10.31.0.0/24');
  });
});
