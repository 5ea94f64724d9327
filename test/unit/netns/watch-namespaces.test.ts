import { describe, expect, it } from 'vitest';
import { takeUntil, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { watchNamespaces$ } from '../../../src/netns/index.js';
import type { WatchNamespacesOptions } from '../../../src/netns/options.js';
import { FakeNetnsFs, recordingLogger } from './fake-netns-fs.js';

interface Seen {
  readonly t: number;
  readonly type: 'added' | 'removed';
  readonly path: string;
  readonly inode: number;
  readonly firstSeenMs: number;
}

const TUNING = {
  rescanIntervalMs: 1000,
  readinessRetryMs: 5,
  readinessMaxStepMs: 50,
  readinessMaxWaitMs: 200,
  burstQuietMs: 20,
  burstMaxWaitMs: 100,
  dirRetryMs: 100,
} satisfies Partial<WatchNamespacesOptions>;

/**
 * Runs the whole source against the fake file system in virtual time:
 * `script` mutates the fs at chosen virtual times; the source runs until `untilMs`.
 */
function simulate(
  dirs: string[],
  untilMs: number,
  script: (fs: FakeNetnsFs, at: (ms: number, f: () => void) => void) => void,
  extra: Partial<WatchNamespacesOptions> = {},
) {
  const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
  const fs = new FakeNetnsFs(ts);
  const { logger, records } = recordingLogger();
  const seen: Seen[] = [];
  ts.run(() => {
    script(fs, (ms, f) => void ts.schedule(f, ms));
    watchNamespaces$({ dirs, fs, scheduler: ts, logger, ...TUNING, ...extra })
      .pipe(takeUntil(timer(untilMs, ts)))
      .subscribe((e) => seen.push({ t: ts.now(), type: e.type, path: e.ns.path, inode: e.ns.inode, firstSeenMs: e.ns.firstSeenMs }));
  });
  const warnings = (errName: string) => records.filter((r) => (r.err as { type?: string } | undefined)?.type === errName);
  return { seen, fs, records, warnings };
}

describe('watchNamespaces$ (fake fs, virtual time)', () => {
  it('reports the namespaces that exist before it starts, on the initial scan', () => {
    const { seen } = simulate(['/d'], 500, (fs) => {
      fs.mkdir('/d');
      fs.add('/d', 'a', 100);
      fs.add('/d', 'b', 101);
    });
    expect(seen).toEqual([
      { t: 2, type: 'added', path: '/d/a', inode: 100, firstSeenMs: 2 },
      { t: 2, type: 'added', path: '/d/b', inode: 101, firstSeenMs: 2 },
    ]);
  });

  it('waits for the bind mount after the file is created (ip netns add timing), without an inotify event for the mount', () => {
    const { seen, fs } = simulate(['/d'], 500, (fs, at) => {
      fs.mkdir('/d');
      at(100, () => fs.touch('/d', 'a'));
      at(103, () => fs.mount('/d', 'a', 7));
    });
    expect(seen).toHaveLength(1);
    const [ev] = seen;
    expect(ev).toMatchObject({ type: 'added', path: '/d/a', inode: 7 });
    // Hint at 100 → probe finds a plain file at 101 → re-checks at 106 (+1 ms probe): the mount at 103 is seen at 107.
    expect(ev!.t).toBe(107);
    expect(ev!.firstSeenMs).toBe(ev!.t);
    // Re-checks probe only that file; the whole dir is not listed per re-check.
    expect(fs.listCalls).toBeLessThan(6);
  });

  it('repairs lost inotify events with the periodic rescan', () => {
    const { seen } = simulate(['/d'], 1500, (fs, at) => {
      fs.mkdir('/d');
      fs.inotify = false;
      at(100, () => fs.add('/d', 'a', 7));
    });
    expect(seen.map((e) => [e.t, e.type, e.path])).toEqual([[1002, 'added', '/d/a']]);
  });

  it('ignores a file that never becomes a namespace with exactly one warning, and still notices if it is mounted much later', () => {
    const { seen, warnings } = simulate(['/d'], 5500, (fs, at) => {
      fs.mkdir('/d');
      at(100, () => fs.touch('/d', 'stray'));
      at(4500, () => fs.mount('/d', 'stray', 9));
    });
    const w = warnings('NamespaceNotMountedError');
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ count: 1, namespaces: ['stray'], err: { dir: '/d', count: 1, examples: ['stray'] } });
    // Mounted at 4500 without an inotify event: the periodic rescan at 5000 finds it.
    expect(seen.map((e) => [e.t, e.type, e.path])).toEqual([[5002, 'added', '/d/stray']]);
  });

  it('reports a delete and re-create under the same name as removed then added (new inode, or a reused one)', () => {
    const { seen } = simulate(['/d'], 800, (fs, at) => {
      fs.mkdir('/d');
      fs.add('/d', 'a', 10);
      at(100, () => fs.rm('/d', 'a'));
      at(200, () => fs.add('/d', 'a', 11));
      at(300, () => fs.rm('/d', 'a'));
      at(300, () => fs.add('/d', 'a', 11));
    });
    expect(seen.map((e) => [e.type, e.inode])).toEqual([
      ['added', 10],
      ['removed', 10],
      ['added', 11],
      ['removed', 11],
      ['added', 11],
    ]);
  });

  it('reports an umount without unlink (no inotify event) as removed at the next rescan', () => {
    const { seen } = simulate(['/d'], 1500, (fs, at) => {
      fs.mkdir('/d');
      fs.add('/d', 'a', 10);
      at(100, () => fs.umount('/d', 'a'));
    });
    expect(seen.map((e) => [e.t, e.type])).toEqual([
      [2, 'added'],
      [1002, 'removed'],
    ]);
  });

  it('watches the nearest existing parent of a directory that does not exist yet, through every level created', () => {
    const { seen, records } = simulate(['/run/x/netns'], 900, (fs, at) => {
      fs.mkdir('/run');
      at(100, () => fs.mkdir('/run/x'));
      at(150, () => fs.mkdir('/run/x/netns'));
      at(200, () => fs.add('/run/x/netns', 'a', 5));
    });
    expect(seen.map((e) => [e.type, e.path])).toEqual([['added', '/run/x/netns/a']]);
    expect(seen[0]!.t).toBeLessThan(210);
    expect(records.filter((r) => r.ancestor).map((r) => r.ancestor)).toEqual(['/run', '/run/x']);
  });

  it('removes everything when the directory is removed, and picks it up again when it comes back', () => {
    const { seen } = simulate(['/run/netns'], 900, (fs, at) => {
      fs.mkdir('/run');
      fs.mkdir('/run/netns');
      fs.add('/run/netns', 'a', 5);
      at(100, () => fs.rmdir('/run/netns'));
      at(300, () => fs.mkdir('/run/netns'));
      at(310, () => fs.add('/run/netns', 'b', 6));
    });
    expect(seen.map((e) => [e.type, e.path])).toEqual([
      ['added', '/run/netns/a'],
      ['removed', '/run/netns/a'],
      ['added', '/run/netns/b'],
    ]);
    expect(seen[2]!.t).toBeLessThan(320);
  });

  it('reports an unreadable directory once and retries it with backoff until it can be read', () => {
    const { seen, warnings, fs } = simulate(['/d'], 2000, (fs, at) => {
      fs.mkdir('/d');
      fs.add('/d', 'a', 5);
      fs.unreadable.set('/d', 'EACCES');
      at(650, () => fs.unreadable.delete('/d'));
    });
    const errs = warnings('NamespaceDirUnreadableError');
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ err: { dir: '/d', code: 'EACCES' } });
    // Retries at 1+100, +200, +400 → the one at ~702 succeeds.
    expect(seen.map((e) => [e.type, e.path])).toEqual([['added', '/d/a']]);
    expect(seen[0]!.t).toBeGreaterThan(650);
    expect(seen[0]!.t).toBeLessThan(710);
    expect(fs.listCalls).toBeLessThan(8);
  });

  it('re-arms a failed watch and rescans at once', () => {
    const { seen, warnings, fs } = simulate(['/d'], 900, (fs, at) => {
      fs.mkdir('/d');
      at(100, () => fs.failWatch('/d'));
      at(100, () => fs.add('/d', 'lost', 5)); // no watcher: this event is lost
      at(500, () => fs.add('/d', 'b', 6));
    });
    expect(warnings('NamespaceWatchError')).toHaveLength(1);
    expect(seen.map((e) => [e.type, e.path])).toEqual([
      ['added', '/d/lost'],
      ['added', '/d/b'],
    ]);
    expect(seen[0]!.t).toBeLessThan(110);
    expect(seen[1]!.t).toBeLessThan(510);
    expect(fs.watcherCount('/d')).toBe(0); // torn down at the end
  });

  it('turns a burst of 1000 namespaces into exactly 1000 added events and 1000 removed, with few directory listings', () => {
    const names = Array.from({ length: 1000 }, (_, i) => `burst-${i}`);
    const { seen, fs } = simulate(['/d'], 2000, (fs, at) => {
      fs.mkdir('/d');
      at(100, () => names.forEach((n, i) => fs.add('/d', n, 1000 + i)));
      at(600, () => names.forEach((n) => fs.rm('/d', n)));
    });
    const added = seen.filter((e) => e.type === 'added');
    const removed = seen.filter((e) => e.type === 'removed');
    expect(added).toHaveLength(1000);
    expect(new Set(added.map((e) => e.path)).size).toBe(1000);
    expect(removed).toHaveLength(1000);
    expect(new Set(removed.map((e) => e.path)).size).toBe(1000);
    expect(Math.max(...added.map((e) => e.t))).toBeLessThan(200);
    expect(fs.listCalls).toBeLessThan(10);
  });

  it('after a burst of events lists the directory and probes only what changed, not every file again', () => {
    const n = 1000;
    const { seen, fs } = simulate(['/d'], 900, (fs, at) => {
      fs.mkdir('/d');
      for (let i = 0; i < n; i++) fs.add('/d', `ns-${i}`, 1000 + i);
      at(100, () => fs.add('/d', 'new', 7));
    });
    expect(seen.filter((e) => e.path === '/d/new').map((e) => e.type)).toEqual(['added']);
    // The initial scans (start and watch armed: 2 listings of n), the hinted probe, then one listing look
    // that probes nothing: every name it lists is known. Before, that look probed all n + 1 files again.
    expect(fs.listCalls).toBe(3);
    expect(fs.probeCalls).toBeLessThanOrEqual(2 * n + 1);
  });

  it('repairs a lost creation and a lost deletion with the listing look after the next burst, well before the periodic rescan', () => {
    const { seen } = simulate(['/d'], 900, (fs, at) => {
      fs.mkdir('/d');
      fs.add('/d', 'gone', 5);
      at(100, () => {
        fs.inotify = false;
        fs.add('/d', 'lost', 6);
        fs.rm('/d', 'gone');
      });
      at(150, () => {
        fs.inotify = true;
        fs.add('/d', 'b', 7);
      });
    });
    const after = seen.filter((e) => e.t >= 100).map((e) => [e.type, e.path]);
    expect(after).toEqual(expect.arrayContaining([['added', '/d/b'], ['added', '/d/lost'], ['removed', '/d/gone']]));
    expect(after).toHaveLength(3);
    // 20 ms of quiet after the hint at 150, one listing and its probes: long before the periodic rescan at 1000.
    expect(Math.max(...seen.filter((e) => e.t >= 100).map((e) => e.t))).toBeLessThan(250);
  });

  it('with file hints off, still sees a burst through debounced full rescans', () => {
    const names = Array.from({ length: 100 }, (_, i) => `n${i}`);
    const { seen } = simulate(['/d'], 900, (fs, at) => {
      fs.mkdir('/d');
      at(100, () => names.forEach((n, i) => fs.add('/d', n, 1000 + i)));
    }, { fileHints: false });
    expect(seen.filter((e) => e.type === 'added')).toHaveLength(100);
    // Quiet period 20 ms after the burst, then one full listing and probes.
    expect(Math.min(...seen.map((e) => e.t))).toBeGreaterThanOrEqual(120);
  });

  it('watches several directories independently and a repeated one only once', () => {
    const { seen } = simulate(['/d', '/e', '/d/'], 500, (fs, at) => {
      fs.mkdir('/d');
      fs.mkdir('/e');
      at(100, () => fs.add('/d', 'a', 1));
      at(100, () => fs.add('/e', 'a', 2));
      at(200, () => fs.rm('/e', 'a'));
    });
    expect(seen.map((e) => [e.type, e.path, e.inode])).toEqual([
      ['added', '/d/a', 1],
      ['added', '/e/a', 2],
      ['removed', '/e/a', 2],
    ]);
  });
  it('finds a namespace created right after 10,000 stray files at once, with bounded re-check work and one warning for all of them', () => {
    const n = 10_000;
    let createdAt = 0;
    const { seen, fs, warnings } = simulate(['/d'], 1500, (fs, at) => {
      fs.mkdir('/d');
      at(100, () => {
        for (let i = 0; i < n; i++) fs.touch('/d', `stray-${i}`);
      });
      at(101, () => {
        createdAt = 101;
        fs.add('/d', 'real', 7);
      });
    });
    expect(seen.map((e) => [e.type, e.path])).toEqual([['added', '/d/real']]);
    // Behind at most two looks at 10,000 files (64 probes at a time, 1 ms each: ~160 ms per look).
    expect(seen[0]!.t - createdAt).toBeLessThan(400);
    // Every full scan probes every file; on top of that, one probe per hint and at most 256 files × 7 re-checks
    // (firstMs 5, steps ≤ 50, 200 ms): before, every stray file was re-checked (70,000 probes).
    const reChecks = fs.probeCalls - fs.listCalls * (n + 1) - (n + 1);
    expect(reChecks).toBeLessThanOrEqual(256 * 7);
    const w = warnings('NamespaceNotMountedError');
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ level: 40, count: n, err: { dir: '/d', count: n, cutShort: n - 256 } });
    expect((w[0]!.namespaces as string[]).length).toBe(5);
  });
});
