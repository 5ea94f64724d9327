import { describe, expect, it } from 'vitest';
import { takeUntil, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { watchNamespaces$ } from '../../../src/netns/index.js';
import type { WatchNamespacesOptions } from '../../../src/netns/options.js';
import type { NamespaceRefusedError } from '../../../src/netns/errors/namespace-refused-error.js';
import { FakeNetnsFs, NSFS_DEV, OWN_NS_INODE, recordingLogger } from './fake-netns-fs.js';

const TUNING = {
  rescanIntervalMs: 1000, readinessRetryMs: 5, readinessMaxStepMs: 50, readinessMaxWaitMs: 200,
  burstQuietMs: 20, burstMaxWaitMs: 100, dirRetryMs: 100,
} satisfies Partial<WatchNamespacesOptions>;

/** The whole source against the fake file system in virtual time, recording events, refusals and warnings. */
function simulate(
  dirs: string[],
  untilMs: number,
  script: (fs: FakeNetnsFs, at: (ms: number, f: () => void) => void) => void,
  extra: Partial<WatchNamespacesOptions> = {},
) {
  const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
  const fs = new FakeNetnsFs(ts);
  const { logger, records } = recordingLogger();
  const seen: string[] = [];
  const refusals: string[] = [];
  let initialScans = 0;
  ts.run(() => {
    script(fs, (ms, f) => void ts.schedule(f, ms));
    watchNamespaces$({
      dirs, fs, scheduler: ts, logger, ...TUNING, ...extra,
      onRefusal: (path: string, r: NamespaceRefusedError | undefined) => refusals.push(`${ts.now()} ${path} ${r ? r.reason : 'cleared'}`),
      onInitialScan: () => {
        initialScans++;
        seen.push(`${ts.now()} initial-scan`);
      },
    })
      .pipe(takeUntil(timer(untilMs, ts)))
      .subscribe((e) => seen.push(`${ts.now()} ${e.type} ${e.ns.path}#${e.ns.inode}`));
  });
  const warnings = records.filter((r) => r.level === 40);
  const infos = records.filter((r) => r.level === 30);
  return { seen, refusals, warnings, infos, initialScans };
}

describe('watchNamespaces$ refusals (fake fs, virtual time)', () => {
  it('refuses a symbolic link once across rescans, and picks the file up when a real namespace replaces it', () => {
    const { seen, refusals, warnings } = simulate(['/d'], 2500, (fs, at) => {
      fs.mkdir('/d');
      fs.add('/d', 'red-1', 10);
      fs.symlink('/d', 'green-alias', 'red-1');
      at(1500, () => {
        fs.rm('/d', 'green-alias');
        fs.add('/d', 'green-alias', 20);
      });
    });
    expect(seen).toEqual(['2 added /d/red-1#10', '2 initial-scan', '1501 added /d/green-alias#20']);
    expect(refusals).toEqual(['2 /d/green-alias symlink', '1501 /d/green-alias cleared']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ path: '/d/green-alias', namespace: 'green-alias', reason: 'symlink', err: { type: 'NamespaceSymlinkError', target: 'red-1' } });
  });

  it("refuses files that are the agent's own or the host namespace, not the namespaces beside them", () => {
    const { seen, refusals, warnings } = simulate(['/d'], 1500, (fs) => {
      fs.mkdir('/d');
      fs.outside.set('/host/netns', `${NSFS_DEV}:777`);
      fs.add('/d', 'self', OWN_NS_INODE);
      fs.add('/d', 'host', 777);
      fs.add('/d', 'blue-1', 30);
    }, { hostNetns: '/host/netns' });
    expect(seen).toEqual(['2 added /d/blue-1#30', '2 initial-scan']);
    expect(refusals).toEqual(['2 /d/host host-namespace', '2 /d/self agent-namespace']);
    expect(warnings.map((w) => (w.err as { type: string }).type)).toEqual(['HostNamespaceFileError', 'HostNamespaceFileError']);
  });

  it("refuses the host namespace a runtime pins in its own directory with one info line, no warning and no stack", () => {
    const { seen, refusals, warnings, infos } = simulate(['/docker/netns', '/d'], 1500, (fs) => {
      fs.mkdir('/docker/netns');
      fs.mkdir('/d');
      fs.outside.set('/host/netns', `${NSFS_DEV}:777`);
      fs.add('/docker/netns', 'default', 777);
      fs.add('/d', 'host', 777);
    }, { hostNetns: '/host/netns', runtimeDirs: ['/docker/netns'] });
    expect(seen).toEqual(['2 initial-scan']);
    expect(refusals).toEqual(['2 /docker/netns/default host-namespace', '2 /d/host host-namespace']);
    // Outside a runtime's directory the same file is still a warning with the error.
    expect(warnings.map((w) => w.path)).toEqual(['/d/host']);
    const routine = infos.filter((r) => r.path === '/docker/netns/default');
    expect(routine).toHaveLength(1);
    expect(routine[0]).toMatchObject({ reason: 'host-namespace' });
    expect(routine[0]?.err).toBeUndefined();
  });

  it('refuses an alias in another directory seen later; when the first path goes, the alias takes over', () => {
    const { seen, refusals, warnings } = simulate(['/a', '/b'], 2500, (fs, at) => {
      fs.mkdir('/a');
      fs.mkdir('/b');
      fs.add('/a', 'red-1', 10);
      at(500, () => fs.add('/b', 'red-dup', 10));
      at(1500, () => fs.rm('/a', 'red-1'));
    });
    expect(seen).toEqual([
      '2 added /a/red-1#10', '2 initial-scan',
      '1501 removed /a/red-1#10', '1501 added /b/red-dup#10',
    ]);
    expect(refusals).toEqual(['501 /b/red-dup alias', '1501 /b/red-dup cleared']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ path: '/b/red-dup', err: { type: 'NamespaceAliasError', ownerPath: '/a/red-1' } });
  });

  it('of aliases found in the same look, admits the smallest path', () => {
    const { seen, refusals } = simulate(['/d'], 500, (fs) => {
      fs.mkdir('/d');
      fs.add('/d', 'zz', 10);
      fs.add('/d', 'aa', 10);
      fs.add('/d', 'mm', 10);
    });
    expect(seen).toEqual(['2 added /d/aa#10', '2 initial-scan']);
    expect(refusals).toEqual(['2 /d/mm alias', '2 /d/zz alias']);
  });

  it('reports the initial scan once, after every directory (also a missing one) was looked at', () => {
    const { seen, initialScans } = simulate(['/a', '/missing/b'], 2500, (fs) => {
      fs.mkdir('/a');
      fs.add('/a', 'x', 10);
    });
    expect(initialScans).toBe(1);
    expect(seen).toEqual(['2 added /a/x#10', '2 initial-scan']);
  });

  it('still watches (with one warning) when the host namespace cannot be read at start', () => {
    const { seen, warnings } = simulate(['/d'], 500, (fs) => {
      fs.mkdir('/d');
      fs.add('/d', 'blue-1', 30);
    }, { hostNetns: '/nowhere' });
    expect(seen).toEqual(['2 added /d/blue-1#30', '2 initial-scan']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ path: '/nowhere', err: { type: 'ProtectedNamespaceUnreadableError', which: 'host', code: 'ENOENT' } });
  });
});
