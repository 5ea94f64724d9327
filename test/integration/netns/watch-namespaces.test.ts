import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { scanNamespaces, watchNamespaces$ } from '../../../src/netns/index.js';
import { PrivateNetnsDir } from '../../../src/sandbox/private-netns-dir.js';
import { run } from '../../../src/exec/run.js';
import type { NamespaceEvent } from '../../../src/netns/types.js';
import { EventCollector, sleep } from './event-collector.js';
import { recordingLogger } from '../../unit/netns/fake-netns-fs.js';

const id = `${process.pid}-${randomBytes(3).toString('hex')}`;
const root = join(process.env.NSVS_TEST_ROOT ?? tmpdir(), `nsvs-netns-${id}`);

/** The nsfs inode as the kernel reports it for the mounted file (via an argv, never a shell). */
async function inodeOf(path: string): Promise<number> {
  return Number((await run('stat', ['-c', '%i', '--', path])).stdout.trim());
}

const isEv = (type: NamespaceEvent['type'], path: string) => (e: NamespaceEvent) => e.type === type && e.ns.path === path;

describe('watchNamespaces$ with real namespaces', () => {
  let a: PrivateNetnsDir;
  let b: PrivateNetnsDir;
  let later: PrivateNetnsDir | undefined;
  const laterDir = join(root, 'later', 'netns');
  let events: EventCollector;
  const { logger, records } = recordingLogger();

  beforeAll(async () => {
    a = await PrivateNetnsDir.create(join(root, 'a'));
    b = await PrivateNetnsDir.create(join(root, 'b'));
    await a.add('pre');
    events = new EventCollector(
      watchNamespaces$({ dirs: [a.dir, b.dir, laterDir], logger, rescanIntervalMs: 500, readinessMaxWaitMs: 300 }),
    );
  });

  afterAll(async () => {
    events?.stop();
    await a?.destroy();
    await b?.destroy();
    await later?.destroy();
    await rm(root, { recursive: true, force: true });
  });

  it('reports a namespace created before subscribing on the initial scan, with the kernel’s inode', async () => {
    const path = a.path('pre');
    await events.waitFor((es) => es.some(isEv('added', path)), 'pre added');
    const [ev] = events.of(isEv('added', path));
    expect(ev!.ns).toMatchObject({ name: 'pre', dir: a.dir, path, inode: await inodeOf(path) });
    expect(ev!.ns.firstSeenMs).toBeGreaterThan(0);
  });

  it('reports create, delete and re-create under the same name as added, removed, added', async () => {
    const path = a.path('cycle');
    await a.add('cycle');
    await events.waitFor((es) => es.some(isEv('added', path)), 'cycle added');
    const first = events.of(isEv('added', path))[0]!.ns;
    expect(first.inode).toBe(await inodeOf(path));
    await a.remove('cycle');
    await events.waitFor((es) => es.some(isEv('removed', path)), 'cycle removed');
    await a.add('cycle');
    await events.waitFor((es) => es.filter(isEv('added', path)).length === 2, 'cycle added again');
    await sleep(600); // a full rescan later: still nothing doubled
    const seq = events.of((e) => e.ns.path === path).map((e) => [e.type, e.ns.inode]);
    const second = await inodeOf(path);
    expect(seq).toEqual([['added', first.inode], ['removed', first.inode], ['added', second]]);
  });

  it('simulates `ip netns add` timing: the file appears first, the mount a moment later', async () => {
    const path = a.path('slow-mount');
    await run('touch', ['--', path]);
    await sleep(80);
    const mountedAt = Date.now();
    await run('unshare', [`--net=${path}`, 'true']);
    await events.waitFor((es) => es.some(isEv('added', path)), 'slow-mount added');
    const [ev] = events.of(isEv('added', path));
    expect(ev!.ns.inode).toBe(await inodeOf(path));
    expect(ev!.ns.firstSeenMs).toBeGreaterThanOrEqual(mountedAt);
  });

  it('catches a re-mount with a new inode and an umount without unlink (no inotify event) on the rescan', async () => {
    const path = a.path('remount');
    await a.add('remount');
    await events.waitFor((es) => es.some(isEv('added', path)), 'remount added');
    const before = await inodeOf(path);
    await run('umount', [path]);
    await run('unshare', [`--net=${path}`, 'true']);
    const after = await inodeOf(path);
    await events.waitFor((es) => es.filter(isEv('added', path)).length === 2, 're-mount seen');
    await run('umount', [path]);
    await events.waitFor((es) => es.filter(isEv('removed', path)).length === 2, 'umount seen');
    expect(events.of((e) => e.ns.path === path).map((e) => [e.type, e.ns.inode])).toEqual([
      ['added', before],
      ['removed', before],
      ['added', after],
      ['removed', after],
    ]);
  });

  it('watches a second directory independently', async () => {
    await b.add('other');
    await events.waitFor((es) => es.some(isEv('added', b.path('other'))), 'other added');
    await b.remove('other');
    await events.waitFor((es) => es.some(isEv('removed', b.path('other'))), 'other removed');
    expect(events.of((e) => e.ns.dir === b.dir).map((e) => [e.type, e.ns.name])).toEqual([
      ['added', 'other'],
      ['removed', 'other'],
    ]);
  });

  it('picks up a directory created after subscribing', async () => {
    expect(existsSync(laterDir)).toBe(false);
    later = await PrivateNetnsDir.create(laterDir);
    await later.add('late');
    const path = later.path('late');
    await events.waitFor((es) => es.some(isEv('added', path)), 'late added');
    expect(events.of(isEv('added', path))[0]!.ns).toMatchObject({ dir: laterDir, name: 'late', inode: await inodeOf(path) });
  });

  it('ignores a stray plain file with one warning and no event', async () => {
    const path = await a.addPlainFile('stray');
    await sleep(1_200); // past readinessMaxWaitMs and two periodic rescans
    const warned = records.filter((r) => (r.err as { type?: string; examples?: string[] } | undefined)?.examples?.includes('stray'));
    expect(warned).toHaveLength(1);
    // In bulk: `remount`, unmounted by an earlier test and left as a plain file, is usually in the same warning.
    const names = warned[0]!.namespaces as string[];
    expect(warned[0]).toMatchObject({ level: 40, count: names.length, err: { type: 'NamespaceNotMountedError', dir: a.dir, count: names.length } });
    expect(names.filter((n) => n !== 'remount')).toEqual(['stray']);
    expect(events.of((e) => e.ns.path === path)).toEqual([]);
  });

  it('handles names with spaces, unicode, leading dashes and shell metacharacters as data', async () => {
    const marker = `nsvs-pwned-${id}`;
    const names = [`$(touch ${marker})`, `\`touch ${marker}-2\``, `; touch ${marker}-3`, '-n', '--help', 'a b', 'ü名', `x'y"z`, '*', '|&<>'];
    await a.add(...names);
    await events.waitFor((es) => names.every((n) => es.some(isEv('added', a.path(n)))), 'odd names added');
    for (const n of names) {
      const [ev] = events.of(isEv('added', a.path(n)));
      expect(ev!.ns.name).toBe(n);
      expect(ev!.ns.inode).toBe(await inodeOf(a.path(n)));
    }
    for (const where of [process.cwd(), a.dir, tmpdir(), '/']) {
      for (const m of [marker, `${marker}-2`, `${marker}-3`]) expect(existsSync(join(where, m))).toBe(false);
    }
    await a.remove(...names);
    await events.waitFor((es) => names.every((n) => es.some(isEv('removed', a.path(n)))), 'odd names removed');
  });

  it('turns a burst of 1000 namespaces into exactly 1000 added events, each once, and 1000 removed after deletion', async () => {
    const names = Array.from({ length: 1000 }, (_, i) => `burst-${i}`);
    const inBurst = (e: NamespaceEvent) => e.ns.dir === b.dir && e.ns.name.startsWith('burst-');
    await b.add(...names);
    await events.waitFor((es) => es.filter((e) => e.type === 'added' && inBurst(e)).length >= 1000, '1000 added', 60_000);
    await b.remove(...names);
    await events.waitFor((es) => es.filter((e) => e.type === 'removed' && inBurst(e)).length >= 1000, '1000 removed', 60_000);
    await sleep(600); // one more full rescan: nothing late or doubled
    const added = events.of((e) => e.type === 'added' && inBurst(e));
    const removed = events.of((e) => e.type === 'removed' && inBurst(e));
    expect(added).toHaveLength(1000);
    expect(new Set(added.map((e) => e.ns.name))).toEqual(new Set(names));
    expect(removed).toHaveLength(1000);
    expect(new Set(removed.map((e) => e.ns.name))).toEqual(new Set(names));
  }, 180_000);

  it('scanNamespaces lists the ready namespaces of several dirs, skipping stray files and missing dirs', async () => {
    const found = await scanNamespaces([a.dir, b.dir, join(root, 'missing')]);
    expect(found.map((n) => n.path)).toEqual([a.path('cycle'), a.path('pre'), a.path('slow-mount')].sort());
    for (const n of found) expect(n.inode).toBe(await inodeOf(n.path));
    expect((await stat(a.path('stray'))).isFile()).toBe(true);
  });
});
