import { describe, expect, it } from 'vitest';
import { computeDesired, type DesiredDeps } from '../../../src/core/desired.js';
import type { OwnedPort } from '../../../src/core/model.js';
import { hostIfName, macFor } from '../../../src/core/names.js';
import { matchNamespace } from '../../../src/manifests/match-namespace.js';
import { namespaceKey, type NamespaceInfo } from '../../../src/netns/types.js';
import type { WorkloadInfo, WorkloadJoin } from '../../../src/workloads/types.js';
import { deps as baseDeps, tenant } from './fixtures.js';

const DIR = '/run/docker/netns';
const blue = tenant('blue', 100, '10.10.0.0/24', [], {
  gateway: '10.10.0.1',
  workloads: [{ runtime: 'docker', matchLabels: { tenant: 'blue' } }],
  staticAddresses: Object.assign(Object.create(null) as Record<string, string>, { db: '10.10.0.50' }),
});
const tenants = new Map([['blue', blue]]);

function sandbox(id: string, inode: number): NamespaceInfo {
  return { path: `${DIR}/${id}`, name: id, dir: DIR, inode, firstSeenMs: inode };
}

function container(name: string, path: string, o: Partial<WorkloadInfo> = {}): WorkloadInfo {
  return { runtime: 'docker', id: name.padEnd(12, '0').replace(/[^0-9a-f]/g, 'a').slice(0, 12) + '0'.repeat(52), name, labels: { tenant: 'blue' }, netnsPath: path, networkMode: 'default', runtimeNetworked: true, state: 'running', ...o };
}

/** The real matcher (selectors), the fixture IPAM, and a workload join from a fixed table. */
function depsWith(joins: ReadonlyMap<string, WorkloadJoin>): DesiredDeps {
  return { ...baseDeps, match: (t, n) => matchNamespace(t, n), workloadOf: (n) => joins.get(n.path) ?? { kind: 'none' } };
}

function owned(n: NamespaceInfo, cidr: string): OwnedPort {
  const key = namespaceKey(n);
  return { portUuid: 'p', ifaceUuid: 'i', name: hostIfName(key), key, nsPath: n.path, nsInode: n.inode, tenant: 'blue', tenantId: 100, cidr, mac: macFor(key), ifName: 'net1', mtu: 1500, gateway: undefined, ofport: 3, installed: true };
}

describe('computeDesired with runtime workloads', () => {
  it('a Docker-networked container gets a secondary interface without a default route; --network none gets eth0 and the gateway', () => {
    const web = sandbox('aaaa', 1);
    const none = sandbox('bbbb', 2);
    const joins = new Map<string, WorkloadJoin>([
      [web.path, { kind: 'known', workload: container('web', web.path) }],
      [none.path, { kind: 'known', workload: container('db', none.path, { networkMode: 'none', runtimeNetworked: false }) }],
    ]);
    const d = computeDesired(tenants, [web, none], [], depsWith(joins));
    expect(d.ports.get(namespaceKey(web))).toMatchObject({ ifName: 'net1', gateway: undefined, tenant: 'blue', ip: '10.10.0.2', workload: { name: 'web' } });
    // Static addresses are keyed by container name.
    expect(d.ports.get(namespaceKey(none))).toMatchObject({ ifName: 'eth0', gateway: '10.10.0.1', ip: '10.10.0.50' });
  });

  it('uses the manifest\'s secondaryName', () => {
    const web = sandbox('aaaa', 1);
    const t = new Map([['blue', { ...blue, interface: { name: 'eth0', mtu: 1400, secondaryName: 'tenant0' } }]]);
    const d = computeDesired(t, [web], [], depsWith(new Map([[web.path, { kind: 'known', workload: container('web', web.path) }]])));
    expect(d.ports.get(namespaceKey(web))).toMatchObject({ ifName: 'tenant0', mtu: 1400 });
  });

  it('never races the runtime: unknown metadata and a starting container wait; a stopped one is not desired', () => {
    const a = sandbox('a1', 1);
    const b = sandbox('b1', 2);
    const c = sandbox('c1', 3);
    const joins = new Map<string, WorkloadJoin>([
      [a.path, { kind: 'unknown', runtime: 'docker', connected: true, synced: false }],
      [b.path, { kind: 'known', workload: container('b', b.path, { state: 'starting' }) }],
      [c.path, { kind: 'known', workload: container('c', c.path, { state: 'stopped' }) }],
    ]);
    const d = computeDesired(tenants, [a, b, c], [], depsWith(joins));
    expect(d.ports.size).toBe(0);
    expect(d.verdicts.get(namespaceKey(a))).toEqual({ kind: 'waiting', reason: 'waiting for docker metadata (not listed yet)' });
    expect(d.verdicts.get(namespaceKey(b))).toMatchObject({ kind: 'waiting', reason: 'docker container b is not running yet' });
    expect(d.verdicts.get(namespaceKey(c))).toMatchObject({ kind: 'waiting', reason: 'docker container c stopped' });
  });

  it('keeps a port in place as recorded while the runtime is unreachable, and reserves its address', () => {
    const a = sandbox('a1', 1);
    const fresh = { path: '/run/netns/blue-x', name: 'blue-x', dir: '/run/netns', inode: 5, firstSeenMs: 5 };
    const t = new Map([['blue', { ...blue, namespaces: ['blue-*'] }]]);
    const joins = new Map<string, WorkloadJoin>([[a.path, { kind: 'unknown', runtime: 'docker', connected: false, synced: true }]]);
    const d = computeDesired(t, [a, fresh], [owned(a, '10.10.0.2/24')], depsWith(joins));
    expect(d.verdicts.get(namespaceKey(a))).toMatchObject({ kind: 'desired', held: 'waiting for docker metadata (runtime not reachable)', port: { ip: '10.10.0.2', ifName: 'net1', hostIf: hostIfName(namespaceKey(a)) } });
    expect(d.ports.get(namespaceKey(fresh))?.ip).toBe('10.10.0.3');
  });

  it('a namespace in the runtime\'s directory that the runtime (answering, listed) does not know is not plugged and not kept', () => {
    const a = sandbox('a1', 1);
    const joins = new Map<string, WorkloadJoin>([[a.path, { kind: 'unknown', runtime: 'docker', connected: true, synced: true }]]);
    const d = computeDesired(tenants, [a], [owned(a, '10.10.0.2/24')], depsWith(joins));
    expect(d.ports.size).toBe(0);
  });

  it('label selectors match nothing without metadata; a plain namespace still matches by glob', () => {
    const plain = { path: '/run/netns/blue-1', name: 'blue-1', dir: '/run/netns', inode: 7, firstSeenMs: 7 };
    const t = new Map([['blue', { ...blue, namespaces: ['blue-*'] }]]);
    const d = computeDesired(t, [plain], [], depsWith(new Map()));
    expect(d.ports.get(namespaceKey(plain))).toMatchObject({ ifName: 'eth0', gateway: '10.10.0.1' });
    expect(d.ports.get(namespaceKey(plain))?.workload).toBeUndefined();
  });

  it('a restarted container (new namespace) gets back the address and MAC it had, when remembered by the caller', () => {
    const now = sandbox('new1', 9);
    const joins = new Map<string, WorkloadJoin>([[now.path, { kind: 'known', workload: container('web', now.path) }]]);
    const d = computeDesired(tenants, [now], [], depsWith(joins), new Map([[namespaceKey(now), { tenant: 'blue', cidr: '10.10.0.7/24', mac: '02:00:00:00:00:07' }]]));
    expect(d.ports.get(namespaceKey(now))).toMatchObject({ ip: '10.10.0.7', mac: '02:00:00:00:00:07' });
  });
});
