import { describe, expect, it } from 'vitest';
import { networksOf, netnsPathOfInfo, parsePod } from '../../../../src/workloads/cri/parse-pod.js';
import type { PodSandboxStatusAnswer } from '../../../../src/workloads/cri/cri-messages.js';

const rec = (o: Record<string, string>): Record<string, string> => Object.assign(Object.create(null) as Record<string, string>, o);

function answer(o: { id?: string; ns?: string; name?: string; state?: number; netns?: string | null; mode?: number; annotations?: Record<string, string>; info?: string } = {}): PodSandboxStatusAnswer {
  const spec = o.netns === null ? { linux: { namespaces: [{ type: 'pid' }] } } : { linux: { namespaces: [{ type: 'pid' }, { type: 'network', path: o.netns ?? '/var/run/netns/cni-1234' }] } };
  return {
    status: {
      id: o.id ?? 'f'.repeat(64), metadata: { name: o.name ?? 'web-1', namespace: o.ns ?? 'team-a', uid: 'u-1', attempt: 0 }, state: o.state ?? 0,
      labels: rec({ app: 'web' }), annotations: rec(o.annotations ?? {}), ...(o.mode !== undefined ? { networkMode: o.mode } : {}),
    },
    info: rec({ info: o.info ?? JSON.stringify({ pid: 1, runtimeSpec: spec }) }),
  };
}

describe('parsePod', () => {
  it('a ready pod: namespace/pod, labels, netns path (mapped), secondary interface, running', () => {
    const p = parsePod(answer(), undefined, { mapPath: (x) => `/host/run/netns/${x.split('/').pop()}` });
    expect(p).toMatchObject({ ok: true, workload: { runtime: 'cri', name: 'team-a/web-1', id: 'f'.repeat(64), k8sNamespace: 'team-a', podUid: 'u-1', netnsPath: '/host/run/netns/cni-1234', runtimeNetworked: true, state: 'running', networks: [] } });
  });

  it('a not-ready sandbox is stopped (its port goes)', () => {
    expect(parsePod(answer({ state: 1 }), undefined)).toMatchObject({ ok: true, workload: { state: 'stopped' } });
  });

  it.each([
    ['host network (NamespaceMode NODE)', answer({ mode: 2 }), 'uses the host network'],
    ['no network namespace in the spec', answer({ netns: null }), 'no network namespace (host network)'],
    ['a relative path', answer({ netns: 'netns/x' }), 'the network namespace path is not a clean absolute path'],
    ['a path with ..', answer({ netns: '/var/run/netns/../../etc/x' }), 'the network namespace path is not a clean absolute path'],
    ['info not JSON', answer({ info: '{' }), 'the verbose "info" entry is not JSON'],
    ['a bad Kubernetes namespace', answer({ ns: 'Team_A' }), 'the pod namespace is not a Kubernetes namespace name'],
    ['a pod name with "/"', answer({ name: 'a/b' }), 'the pod name is empty or holds "/" or control characters'],
    ['a bad sandbox id', answer({ id: '../x' }), 'no valid sandbox id'],
  ])('refuses %s', (_w, a, reason) => {
    expect(parsePod(a, undefined)).toMatchObject({ ok: false, reason });
  });

  it('finds the netns path only in runtimeSpec.linux.namespaces', () => {
    expect(netnsPathOfInfo(rec({}))).toEqual({ fault: 'the verbose status has no "info" entry' });
    expect(netnsPathOfInfo(rec({ info: '{"runtimeSpec":{}}' }))).toEqual({ fault: 'the verbose info has no runtimeSpec.linux.namespaces' });
    expect(netnsPathOfInfo(rec({ info: '{"runtimeSpec":{"linux":{"namespaces":[{"type":"network","path":7}]}}}' }))).toEqual({ fault: 'the network namespace path is not a string' });
  });
});

describe('networksOf (k8s.v1.cni.cncf.io/networks)', () => {
  const n = (v: string): unknown => networksOf(rec({ 'k8s.v1.cni.cncf.io/networks': v }));
  it('reads the comma form, namespace-qualified names and interface suffixes, and the JSON form', () => {
    expect(n('blue')).toEqual(['blue']);
    expect(n(' blue , team-a/red@net2 ')).toEqual(['blue', 'red']);
    expect(n('[{"name":"green","namespace":"x","interface":"net1"},{"name":"green"}]')).toEqual(['green']);
    expect(networksOf(rec({}))).toEqual([]);
  });
  it('refuses malformed or oversized values', () => {
    expect(n('[{"nam":"x"}]')).toEqual({ fault: 'annotation k8s.v1.cni.cncf.io/networks: an entry has no "name"' });
    expect(n('[')).toEqual({ fault: 'annotation k8s.v1.cni.cncf.io/networks is not valid JSON' });
    expect(n(Array.from({ length: 17 }, (_, i) => `t${i}`).join(','))).toMatchObject({ fault: expect.stringContaining('more than 16') });
    expect(n('a\u0001b')).toMatchObject({ fault: expect.stringContaining('malformed') });
  });
});
