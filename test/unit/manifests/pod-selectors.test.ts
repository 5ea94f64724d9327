import { describe, expect, it } from 'vitest';
import { selectorMatches, workloadNameMayMatch, type WorkloadRef } from '../../../src/manifests/workload-selector.js';
import { selectorsOverlap } from '../../../src/manifests/selector-overlaps.js';
import { parseManifestFile, parseManifestText } from '../../../src/manifests/parse-manifest.js';
import { matchNamespace } from '../../../src/manifests/match-namespace.js';

const pod = (ns: string, name: string, labels: Record<string, string> = {}, networks: string[] = []): WorkloadRef =>
  ({ runtime: 'cri', name: `${ns}/${name}`, k8sNamespace: ns, labels, networks });

function doc(name: string, id: number, subnet: string, spec: string): string {
  return `apiVersion: nsvswitch/v1\nkind: Tenant\nmetadata: { name: ${name} }\nspec:\n  id: ${id}\n  subnet: ${subnet}\n${spec}`;
}

describe('selecting Kubernetes pods', () => {
  it('by Kubernetes namespace (names or globs), labels, and "namespace/pod" name globs', () => {
    expect(selectorMatches({ k8sNamespaces: ['team-*'] }, pod('team-a', 'web'))).toBe(true);
    expect(selectorMatches({ k8sNamespaces: ['team-*'] }, pod('prod', 'web'))).toBe(false);
    expect(selectorMatches({ k8sNamespaces: ['team-a'], matchLabels: { tier: 'db' } }, pod('team-a', 'x', { tier: 'db' }))).toBe(true);
    expect(selectorMatches({ k8sNamespaces: ['team-a'], matchLabels: { tier: 'db' } }, pod('team-a', 'x', { tier: 'web' }))).toBe(false);
    expect(selectorMatches({ names: ['team-a/web-*'] }, pod('team-a', 'web-1'))).toBe(true);
    expect(selectorMatches({ names: ['web-*'] }, pod('team-a', 'web-1'))).toBe(false);
    // A container has no Kubernetes namespace: a namespace selector never takes it.
    expect(selectorMatches({ k8sNamespaces: ['*'] }, { runtime: 'docker', name: 'web', labels: {} })).toBe(false);
  });

  it('by the networks annotation only where the selector allows it, and only for the tenant named', () => {
    const sel = { k8sNamespaces: ['team-c'], networkAnnotation: true };
    expect(selectorMatches(sel, pod('team-c', 'p', {}, ['green']), 'green')).toBe(true);
    expect(selectorMatches(sel, pod('team-c', 'p', {}, ['red']), 'green')).toBe(false);
    expect(selectorMatches(sel, pod('team-c', 'p'), 'green')).toBe(false);
    expect(selectorMatches(sel, pod('team-d', 'p', {}, ['green']), 'green')).toBe(false);
  });

  it('a pod asking for two tenants that both allow it is a conflict, never a guess', () => {
    const { tenants } = parseManifestText('t.yaml', [
      doc('green', 1, '10.1.0.0/24', '  workloads:\n    - { k8sNamespaces: [team-c], networkAnnotation: true }\n'),
      doc('red', 2, '10.2.0.0/24', '  workloads:\n    - { k8sNamespaces: [team-c], networkAnnotation: true }\n'),
    ].join('---\n'));
    const map = new Map(tenants.map((t) => [t.name, t]));
    const ns = { name: 'cni-1', dir: '/run/netns', path: '/run/netns/cni-1' };
    expect(matchNamespace(map, { ...ns, workload: pod('team-c', 'p', {}, ['green']) })).toMatchObject({ kind: 'matched', tenant: { name: 'green' } });
    expect(matchNamespace(map, { ...ns, workload: pod('team-c', 'p', {}, ['green', 'red']) })).toEqual({ kind: 'conflict', tenants: ['green', 'red'] });
  });

  it('validation: fields parsed, bad ones refused on their line', () => {
    const ok = parseManifestText('t.yaml', doc('blue', 1, '10.1.0.0/24', '  workloads:\n    - runtime: cri\n      k8sNamespaces: [team-a, "team-b-*"]\n      networkAnnotation: true\n  staticAddresses:\n    team-a/web-1: 10.1.0.9\n'));
    expect(ok.problems).toEqual([]);
    expect(ok.tenants[0]).toMatchObject({ workloads: [{ runtime: 'cri', k8sNamespaces: ['team-a', 'team-b-*'], networkAnnotation: true }], staticAddresses: { 'team-a/web-1': '10.1.0.9' } });
    const bad = (spec: string): string[] => parseManifestText('t.yaml', doc('blue', 1, '10.1.0.0/24', spec)).problems.map((p) => p.message);
    expect(bad('  workloads:\n    - k8sNamespaces: ["a/b"]\n')).toEqual(['spec.workloads[0].k8sNamespaces[0] "a/b" contains "/": a Kubernetes namespace name has none']);
    expect(bad('  workloads:\n    - { runtime: docker, k8sNamespaces: [a] }\n')).toEqual(['spec.workloads[0].k8sNamespaces selects Kubernetes pods, but spec.workloads[0].runtime is "docker"']);
    expect(bad('  workloads:\n    - networkAnnotation: "yes"\n')).toEqual(['spec.workloads[0].networkAnnotation must be true or false, got string "yes"']);
    expect(bad('  workloads:\n    - names: ["/run/netns/x"]\n')[0]).toContain('is not a workload name glob');
    // A static address for a pod no selector can take is reported as unused.
    expect(bad('  workloads:\n    - k8sNamespaces: [team-a]\n  staticAddresses:\n    team-b/web: 10.1.0.9\n')[0]).toContain('is never used');
    expect(bad('  namespaces: [x]\n  staticAddresses:\n    Team_A/web: 10.1.0.9\n')[0]).toContain('a pod as "namespace/pod"');
  });

  it('static address keys of pods may match selectors by namespace', () => {
    expect(workloadNameMayMatch([{ k8sNamespaces: ['team-a'] }], 'team-a/web')).toBe(true);
    expect(workloadNameMayMatch([{ k8sNamespaces: ['team-a'] }], 'team-b/web')).toBe(false);
    expect(workloadNameMayMatch([{ k8sNamespaces: ['team-a'] }], 'web')).toBe(false);
  });

  it('overlaps: decided on namespaces and labels; annotation-chosen tenants apart; pods never overlap containers', () => {
    expect(selectorsOverlap({ k8sNamespaces: ['team-a'] }, { k8sNamespaces: ['team-b'] })).toBeUndefined();
    expect(selectorsOverlap({ k8sNamespaces: ['team-a'] }, { k8sNamespaces: ['team-*'] })).toBe('*');
    expect(selectorsOverlap({ k8sNamespaces: ['team-b'], matchLabels: { t: 'red' } }, { k8sNamespaces: ['team-b'], matchLabels: { t: 'green' } })).toBeUndefined();
    expect(selectorsOverlap({ k8sNamespaces: ['team-b'] }, { k8sNamespaces: ['team-b'], matchLabels: { t: 'green' } })).toBe('*');
    expect(selectorsOverlap({ k8sNamespaces: ['x'], networkAnnotation: true }, { k8sNamespaces: ['x'], networkAnnotation: true })).toBeUndefined();
    expect(selectorsOverlap({ k8sNamespaces: ['x'] }, { names: ['web-*'] })).toBeUndefined();
    expect(selectorsOverlap({ k8sNamespaces: ['x'] }, { runtime: 'docker' })).toBeUndefined();
    expect(selectorsOverlap({ k8sNamespaces: ['x'] }, { matchLabels: { a: 'b' } })).toBe('*');
    const r = parseManifestFile('t.yaml', [
      doc('blue', 1, '10.1.0.0/24', '  workloads:\n    - k8sNamespaces: [team-a]\n'),
      doc('red', 2, '10.2.0.0/24', '  workloads:\n    - k8sNamespaces: ["team-*"]\n'),
    ].join('---\n'));
    expect(r.problems.map((p) => p.message)).toEqual([expect.stringContaining('can both select one workload')]);
  });
});

describe('run time: a manifest change that would put a running pod into conflict is rejected', () => {
  it('names the pod (namespace/pod) and the selector lines of both tenants', async () => {
    const { resolveTenantSet } = await import('../../../src/manifests/index.js');
    const snap = (file: string, text: string) => ({ parsed: parseManifestFile(file, text), hash: text, mtimeMs: 1 });
    // Two globs validation cannot decide ("team-a/*" and "*/web-1"): the pods that exist decide.
    const a = doc('team-a', 1, '10.1.0.0/24', '  workloads:\n    - names: ["team-a/*"]\n');
    const b = doc('web', 2, '10.2.0.0/24', '  workloads:\n    - names: ["*/web-1"]\n');
    const namespaces = [{ name: 'cni-1', dir: '/run/netns', path: '/run/netns/cni-1', workload: pod('team-a', 'web-1', { app: 'web' }) }];
    const first = resolveTenantSet(new Map(), [snap('a.yaml', a)], { namespaces });
    const r = resolveTenantSet(first.accepted, [snap('a.yaml', a), snap('b.yaml', b)], { namespaces });
    expect([...r.set.tenants.keys()]).toEqual(['team-a']);
    expect(r.set.problems.map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([
      'b.yaml:8: spec.workloads[0] of tenant "web" matches namespace /run/netns/cni-1 (cri workload team-a/web-1), which spec.workloads[0] of tenant "team-a" (a.yaml:8) also matches: the namespace would be in conflict and unplugged, so this version of the file is not taken',
    ]);
  });
});
