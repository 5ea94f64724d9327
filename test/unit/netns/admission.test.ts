import { describe, expect, it } from 'vitest';
import { Admission, admitAll, type ProtectedNamespace } from '../../../src/netns/admission.js';
import type { Found } from '../../../src/netns/observation.js';
import { HostNamespaceFileError, NamespaceAliasError, NamespaceSymlinkError } from '../../../src/netns/index.js';

const ns = (path: string, inode: number, firstSeenMs = 0): Found => {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dir = path.slice(0, path.lastIndexOf('/'));
  return { kind: 'namespace', ns: { path, name, dir, inode, firstSeenMs }, nsId: `4:${inode}` };
};
const link = (path: string, target: string): Found => {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return { kind: 'symlink', ns: { path, name, dir: path.slice(0, path.lastIndexOf('/')), firstSeenMs: 0 }, target };
};
const OWN: ProtectedNamespace = { nsId: '4:1000', which: 'agent', path: '/proc/self/ns/net' };
const HOST: ProtectedNamespace = { nsId: '4:2000', which: 'host', path: '/run/nsvs/host' };
const paths = (evs: readonly { type: string; ns: { path: string } }[]) => evs.map((e) => `${e.type} ${e.ns.path}`);

describe('Admission', () => {
  it('admits a namespace mounted in a watched directory, and reports it gone', () => {
    const a = new Admission([OWN, HOST]);
    const red = ns('/run/netns/red-1', 10);
    expect(a.added(red)).toEqual({ events: [{ type: 'added', ns: red.ns }], refused: [], cleared: [], updated: [] });
    expect(a.removed(red)).toEqual({ events: [{ type: 'removed', ns: red.ns }], refused: [], cleared: [], updated: [] });
    expect(a.refused.size).toBe(0);
  });

  it('refuses a symbolic link whatever it points to, once, and forgets the refusal when the link goes', () => {
    const a = new Admission([OWN]);
    const l = link('/run/netns/green-alias', 'red-1');
    const s = a.added(l);
    expect(s.events).toEqual([]);
    expect(s.refused).toHaveLength(1);
    const err = s.refused[0] as NamespaceSymlinkError;
    expect(err).toBeInstanceOf(NamespaceSymlinkError);
    expect(err).toMatchObject({ reason: 'symlink', path: '/run/netns/green-alias', namespace: 'green-alias', target: 'red-1' });
    expect(err.message).toContain('/run/netns/green-alias');
    expect([...a.refused.keys()]).toEqual(['/run/netns/green-alias']);
    expect(a.removed(l)).toEqual({ events: [], refused: [], cleared: ['/run/netns/green-alias'], updated: [] });
    expect(a.refused.size).toBe(0);
  });

  it("refuses the agent's own and the host namespace by dev+inode, under any name", () => {
    const a = new Admission([OWN, HOST]);
    const own = a.added(ns('/run/netns/innocent', 1000));
    const host = a.added(ns('/run/docker/netns/x', 2000));
    expect(own.events).toEqual([]);
    expect(host.events).toEqual([]);
    expect(own.refused[0]).toBeInstanceOf(HostNamespaceFileError);
    expect(own.refused[0]).toMatchObject({ reason: 'agent-namespace', hostPath: '/proc/self/ns/net', path: '/run/netns/innocent' });
    expect(host.refused[0]).toMatchObject({ reason: 'host-namespace', hostPath: '/run/nsvs/host', path: '/run/docker/netns/x' });
    // The same inode on another device is another namespace.
    const other: Found = { kind: 'namespace', ns: { path: '/run/netns/y', name: 'y', dir: '/run/netns', inode: 1000, firstSeenMs: 0 }, nsId: '5:1000' };
    expect(a.added(other).events).toHaveLength(1);
  });

  it('says "the agent\'s own" when the host namespace is the agent\'s own too', () => {
    const a = new Admission([OWN, { ...HOST, nsId: OWN.nsId }]);
    expect(a.added(ns('/run/netns/x', 1000)).refused[0]).toMatchObject({ reason: 'agent-namespace' });
  });

  it('refuses an alias of an admitted namespace; the path seen first keeps it', () => {
    const a = new Admission();
    const red = ns('/run/netns/red-1', 10, 1);
    const dup = ns('/run/docker/netns/aaa', 10, 5);
    a.added(red);
    const s = a.added(dup);
    expect(s.events).toEqual([]);
    expect(s.refused[0]).toBeInstanceOf(NamespaceAliasError);
    expect(s.refused[0]).toMatchObject({ reason: 'alias', path: '/run/docker/netns/aaa', ownerPath: '/run/netns/red-1' });
    // The alias going away changes nothing for the owner.
    expect(a.removed(dup)).toEqual({ events: [], refused: [], cleared: ['/run/docker/netns/aaa'], updated: [] });
  });

  it('admits the alias seen first (ties: smallest path) when the owner goes, and points the others at it', () => {
    const a = new Admission();
    const owner = ns('/d/m', 10, 1);
    const late = ns('/d/a', 10, 9);
    const early2 = ns('/d/z', 10, 5);
    const early1 = ns('/d/y', 10, 5);
    for (const f of [owner, late, early2, early1]) a.added(f);
    expect([...a.refused.keys()].sort()).toEqual(['/d/a', '/d/y', '/d/z']);
    const s = a.removed(owner);
    expect(paths(s.events)).toEqual(['removed /d/m', 'added /d/y']);
    expect(s.cleared).toEqual(['/d/y']);
    expect(s.refused).toEqual([]);
    expect(s.updated.map((e) => [e.path, (e as NamespaceAliasError).ownerPath]).sort()).toEqual([['/d/a', '/d/y'], ['/d/z', '/d/y']]);
    expect([...a.refused.keys()].sort()).toEqual(['/d/a', '/d/z']);
  });

  it('never promotes a file refused for another reason, and a re-mounted owner path is judged anew', () => {
    const a = new Admission([OWN]);
    const red = ns('/d/red', 10);
    a.added(red);
    a.added(ns('/d/self', 1000));
    // The owner path gets another namespace: removed, then the new one is admitted.
    const red2 = ns('/d/red', 11);
    expect(paths(a.added(red2).events)).toEqual(['removed /d/red', 'added /d/red']);
    expect([...a.refused.keys()]).toEqual(['/d/self']);
  });

  it('ignores a removal of a file it does not hold (another namespace at that path, or an unknown path)', () => {
    const a = new Admission();
    const red = ns('/d/red', 10);
    a.added(red);
    expect(a.removed(ns('/d/red', 12))).toEqual({ events: [], refused: [], cleared: [], updated: [] });
    expect(a.removed(ns('/d/other', 12)).events).toEqual([]);
  });

  it('admitAll (one look): path order decides among aliases, refusals listed', () => {
    const { admitted, refused } = admitAll(
      [ns('/d/red-dup', 10), link('/d/green-alias', 'red-1'), ns('/d/red-1', 10), ns('/d/blue', 11), ns('/d/host', 2000)],
      [OWN, HOST],
    );
    expect(admitted.map((n) => n.path)).toEqual(['/d/blue', '/d/red-1']);
    expect(refused.map((r) => [r.path, r.reason])).toEqual([['/d/green-alias', 'symlink'], ['/d/host', 'host-namespace'], ['/d/red-dup', 'alias']]);
  });
});
