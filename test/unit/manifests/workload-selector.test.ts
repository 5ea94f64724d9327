import { describe, expect, it } from 'vitest';
import { expressionHolds, selectorMatches, type WorkloadRef } from '../../../src/manifests/workload-selector.js';
import { labelsCompatible, selectorsOverlap } from '../../../src/manifests/selector-overlaps.js';
import { parseManifestFile, parseManifestText } from '../../../src/manifests/parse-manifest.js';
import { matchNamespace } from '../../../src/manifests/match-namespace.js';

const w = (name: string, labels: Record<string, string>, runtime = 'docker'): WorkloadRef => ({ runtime, name, labels });

function doc(name: string, id: number, subnet: string, spec: string): string {
  return `apiVersion: nsvswitch/v1\nkind: Tenant\nmetadata: { name: ${name} }\nspec:\n  id: ${id}\n  subnet: ${subnet}\n${spec}`;
}

describe('workload selectors', () => {
  it('Kubernetes semantics: In, NotIn (absent holds), Exists, DoesNotExist', () => {
    const l = { env: 'prod', tier: 'web' };
    expect(expressionHolds({ key: 'env', operator: 'In', values: ['prod', 'dev'] }, l)).toBe(true);
    expect(expressionHolds({ key: 'env', operator: 'In', values: ['dev'] }, l)).toBe(false);
    expect(expressionHolds({ key: 'zone', operator: 'In', values: ['a'] }, l)).toBe(false);
    expect(expressionHolds({ key: 'env', operator: 'NotIn', values: ['dev'] }, l)).toBe(true);
    expect(expressionHolds({ key: 'zone', operator: 'NotIn', values: ['a'] }, l)).toBe(true);
    expect(expressionHolds({ key: 'env', operator: 'NotIn', values: ['prod'] }, l)).toBe(false);
    expect(expressionHolds({ key: 'tier', operator: 'Exists', values: [] }, l)).toBe(true);
    expect(expressionHolds({ key: 'tier', operator: 'DoesNotExist', values: [] }, l)).toBe(false);
    expect(expressionHolds({ key: 'zone', operator: 'DoesNotExist', values: [] }, l)).toBe(true);
  });

  it('every criterion of a selector must hold; labels are data ("__proto__" is a key, "toString" is not)', () => {
    const s = { runtime: 'docker', names: ['web-*'], matchLabels: { app: 'shop' }, matchExpressions: [{ key: 'env', operator: 'NotIn' as const, values: ['dev'] }] };
    expect(selectorMatches(s, w('web-1', { app: 'shop' }))).toBe(true);
    expect(selectorMatches(s, w('db-1', { app: 'shop' }))).toBe(false);
    expect(selectorMatches(s, w('web-1', { app: 'shop', env: 'dev' }))).toBe(false);
    expect(selectorMatches(s, w('web-1', { app: 'shop' }, 'cri'))).toBe(false);
    const proto = Object.create(null) as Record<string, string>;
    Object.defineProperty(proto, '__proto__', { value: 'x', enumerable: true });
    expect(selectorMatches({ matchLabels: proto }, w('a', proto))).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'toString', operator: 'Exists', values: [] }] }, w('a', {}))).toBe(false);
  });

  it('a tenant matches a namespace by its workload only once metadata is known', () => {
    const { tenants } = parseManifestText('t.yaml', doc('blue', 1, '10.1.0.0/24', '  workloads:\n    - matchLabels: { tenant: blue }\n'));
    const t = new Map(tenants.map((x) => [x.name, x]));
    const ns = { name: 'b737d39968d9', dir: '/run/docker/netns', path: '/run/docker/netns/b737d39968d9' };
    expect(matchNamespace(t, ns).kind).toBe('unmatched');
    expect(matchNamespace(t, { ...ns, workload: w('web1', { tenant: 'blue' }) }).kind).toBe('matched');
  });

  it('decides overlaps where decidable', () => {
    expect(labelsCompatible({ matchLabels: { t: 'a' } }, { matchLabels: { t: 'b' } })).toBe(false);
    expect(labelsCompatible({ matchLabels: { t: 'a' } }, { matchExpressions: [{ key: 't', operator: 'NotIn', values: ['a'] }] })).toBe(false);
    expect(labelsCompatible({ matchExpressions: [{ key: 't', operator: 'Exists', values: [] }] }, { matchExpressions: [{ key: 't', operator: 'DoesNotExist', values: [] }] })).toBe(false);
    expect(labelsCompatible({ matchLabels: { t: 'a' } }, { matchExpressions: [{ key: 't', operator: 'In', values: ['a', 'b'] }] })).toBe(true);
    expect(selectorsOverlap({ runtime: 'docker', names: ['web-*'] }, { names: ['web-1'] })).toBe('web-1');
    expect(selectorsOverlap({ names: ['web-*'] }, { names: ['*-1'] })).toBeUndefined(); // two globs: left to the run-time rule
    expect(selectorsOverlap({ matchLabels: { t: 'a' } }, { names: ['x'] })).toBe('x');
  });
});

describe('spec.workloads in manifests', () => {
  it('accepts selectors without spec.namespaces, with secondaryName and static addresses by container name', () => {
    const r = parseManifestText('t.yaml', doc('blue', 1, '10.1.0.0/24', [
      '  workloads:',
      '    - runtime: docker',
      '      names: ["web-*"]',
      '      matchLabels: { app: shop }',
      '      matchExpressions:',
      '        - { key: env, operator: In, values: [prod] }',
      '        - { key: canary, operator: DoesNotExist }',
      '  interface: { secondaryName: tnt0 }',
      '  staticAddresses: { web-db: 10.1.0.9 }',
      '',
    ].join('\n')));
    expect(r.problems).toEqual([]);
    expect(r.tenants[0]).toMatchObject({ namespaces: [], interface: { name: 'eth0', secondaryName: 'tnt0' }, workloads: [{ runtime: 'docker', names: ['web-*'] }] });
  });

  it.each([
    ['an unknown selector field', '  workloads:\n    - labels: { a: b }\n', 8, 'unknown field "labels" in spec.workloads[0]; known fields: runtime, names, k8sNamespaces, matchLabels, matchExpressions, networkAnnotation'],
    ['an empty selector', '  workloads:\n    - {}\n', 8, 'spec.workloads[0] selects nothing: give runtime, names, k8sNamespaces, matchLabels, matchExpressions or networkAnnotation'],
    ['an unknown runtime', '  workloads:\n    - runtime: podman\n', 8, 'spec.workloads[0].runtime must be one of "docker", "cri", got string "podman"'],
    ['In without values', '  workloads:\n    - matchExpressions: [{ key: a, operator: In }]\n', 8, 'spec.workloads[0].matchExpressions[0].values is missing (a non-empty list of strings for operator In)'],
    ['Exists with values', '  workloads:\n    - matchExpressions: [{ key: a, operator: Exists, values: [x] }]\n', 8, 'spec.workloads[0].matchExpressions[0].values must be absent for operator Exists'],
    ['a bad operator', '  workloads:\n    - matchExpressions: [{ key: a, operator: Equals, values: [x] }]\n', 8, 'spec.workloads[0].matchExpressions[0].operator must be one of In, NotIn, Exists, DoesNotExist, got string "Equals"'],
    ['a number as label value', '  workloads:\n    - matchLabels: { a: 1 }\n', 8, 'spec.workloads[0].matchLabels.a must be a string, got number 1 (quote it: "1")'],
    ['a catch-all name glob', '  workloads:\n    - names: ["*"]\n', 8, undefined],
    ['eth1 as secondary name', '  namespaces: [a-*]\n  interface: { secondaryName: eth1 }\n', 8, 'spec.interface.secondaryName "eth1" is a name Docker gives its own interfaces (eth0, eth1... one per network): it would collide; use e.g. "net1"'],
  ])('refuses %s', (_what, spec, line, message) => {
    const r = parseManifestText('t.yaml', doc('blue', 1, '10.1.0.0/24', spec));
    expect(r.problems.length).toBeGreaterThan(0);
    expect(r.problems[0]!.line).toBe(line);
    if (message !== undefined) expect(r.problems[0]!.message).toBe(message);
  });

  it('reports two tenants whose selectors can both select one container (validate), not disjoint ones', () => {
    const both = parseManifestFile('t.yaml', [
      doc('blue', 1, '10.1.0.0/24', '  workloads:\n    - matchLabels: { tenant: blue }\n'),
      doc('red', 2, '10.2.0.0/24', '  workloads:\n    - names: ["red-*"]\n'),
    ].join('---\n'));
    expect(both.problems).toHaveLength(1);
    expect(both.problems[0]!.message).toContain('can both select one workload');
    const apart = parseManifestFile('t.yaml', [
      doc('blue', 1, '10.1.0.0/24', '  workloads:\n    - matchLabels: { tenant: blue }\n'),
      doc('red', 2, '10.2.0.0/24', '  workloads:\n    - matchLabels: { tenant: red }\n      names: ["red-*"]\n'),
    ].join('---\n'));
    expect(apart.problems).toEqual([]);
  });
});
