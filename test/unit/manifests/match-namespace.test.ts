import { describe, expect, it } from 'vitest';
import { matchNamespace, parseManifestText, type Tenant } from '../../../src/manifests/index.js';
import { tenantDoc } from './manifest-text.js';

function tenants(...docs: string[]): Map<string, Tenant> {
  const out = new Map<string, Tenant>();
  for (const d of docs) for (const t of parseManifestText('t.yaml', d).tenants) out.set(t.name, t);
  return out;
}

const ns = (path: string): { name: string; dir: string; path: string } => {
  const i = path.lastIndexOf('/');
  return { name: path.slice(i + 1), dir: path.slice(0, i), path };
};

describe('matchNamespace', () => {
  const set = tenants(
    tenantDoc({ name: 'blue', id: 1, subnet: '10.1.0.0/24', namespaces: ['blue-*'] }),
    tenantDoc({ name: 'green', id: 2, subnet: '10.2.0.0/24', namespaces: ['/run/docker/netns/*', 'green-[0-9]'] }),
  );

  it('matches a glob against the namespace file name, in any directory', () => {
    for (const p of ['/run/netns/blue-1', '/run/docker/netns/blue-web']) {
      const m = matchNamespace(set, ns(p));
      expect(m.kind === 'matched' && m.tenant.name).toBe(p.includes('docker') ? false : 'blue');
    }
  });

  it('matches a pattern containing "/" against the full path only', () => {
    const m = matchNamespace(set, ns('/run/docker/netns/3f2a9c'));
    expect(m).toMatchObject({ kind: 'matched', tenant: { name: 'green' } });
    expect(matchNamespace(set, ns('/run/netns/3f2a9c'))).toEqual({ kind: 'unmatched' });
  });

  it('supports character classes and leaves non-matching names unmatched', () => {
    expect(matchNamespace(set, ns('/run/netns/green-7'))).toMatchObject({ kind: 'matched', tenant: { name: 'green' } });
    expect(matchNamespace(set, ns('/run/netns/green-77'))).toEqual({ kind: 'unmatched' });
    expect(matchNamespace(set, ns('/run/netns/blue'))).toEqual({ kind: 'unmatched' });
  });

  it('lets "*" match names starting with a dot', () => {
    // ("*" alone matches every namespace and is refused by validation: see pattern-rules.test.ts.)
    const web = tenants(tenantDoc({ name: 'web', id: 1, subnet: '10.1.0.0/24', namespaces: ['*-web'] }));
    expect(web.size).toBe(1);
    expect(matchNamespace(web, ns('/run/netns/.hidden-web'))).toMatchObject({ kind: 'matched' });
  });

  it('reports a conflict (sorted tenant names) when two tenants match, and attaches to neither', () => {
    expect(matchNamespace(set, ns('/run/docker/netns/blue-x'))).toEqual({ kind: 'conflict', tenants: ['blue', 'green'] });
  });

  it('returns unmatched for an empty tenant set', () => {
    expect(matchNamespace(new Map(), ns('/run/netns/blue-1'))).toEqual({ kind: 'unmatched' });
  });
});
