import { mkdir, mkdtemp, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplaySubject, filter, firstValueFrom, timeout, type Subscription } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { watchManifests$, type ManifestProblem, type TenantSet } from '../../../src/manifests/index.js';

const tenant = (name: string, id: number, subnet: string, extra = ''): string =>
  `apiVersion: nsvswitch/v1\nkind: Tenant\nmetadata: { name: ${name} }\nspec:\n  id: ${id}\n  subnet: ${subnet}\n  namespaces: ["${name}-*"]\n${extra}`;

describe('watchManifests$ on a real directory', () => {
  let root: string;
  let sub: Subscription | undefined;
  beforeAll(async () => {
    root = await mkdtemp(join(process.env.NSVS_TEST_ROOT ?? tmpdir(), 'manifest-watch-'));
  });
  afterEach(() => sub?.unsubscribe());
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** Starts watching `dir`; `until(pred)` resolves with the first set (seen so far or next) that satisfies pred. */
  function start(dir: string, opts: { rescanMs?: number } = {}): { until: (pred: (s: TenantSet) => boolean) => Promise<TenantSet>; rejected: [string, readonly ManifestProblem[]][]; count: () => number } {
    const sets$ = new ReplaySubject<TenantSet>();
    const rejected: [string, readonly ManifestProblem[]][] = [];
    let n = 0;
    sub = watchManifests$(dir, { debounceMs: 50, rescanMs: opts.rescanMs ?? 60_000, onRejected: (f, p) => rejected.push([f, p]) }).subscribe((s) => {
      n++;
      sets$.next(s);
    });
    return { until: (pred) => firstValueFrom(sets$.pipe(filter(pred), timeout(10_000))), rejected, count: () => n };
  }

  const summary = (s: TenantSet): Record<string, string> => Object.fromEntries([...s.tenants.values()].map((t) => [t.name, t.subnet ?? '']));

  it('adds, keeps the last good version through an invalid edit, takes the fix, and removes on delete', async () => {
    const dir = await mkdtemp(join(root, 'reload-'));
    await writeFile(join(dir, 'green.yaml'), tenant('green', 200, '10.20.0.0/24'));
    const w = start(dir);
    const initial = await w.until(() => true);
    expect(summary(initial)).toEqual({ green: '10.20.0.0/24' });

    // add
    const blue = join(dir, 'blue.yaml');
    await writeFile(blue, tenant('blue', 100, '10.10.0.0/24'));
    await w.until((s) => s.tenants.has('blue'));

    // edit into an invalid state: rejected, last good version stays, other files untouched
    await writeFile(blue, tenant('blue', 100, '10.10.0.5/24'));
    const rejected = await w.until((s) => s.problems.length > 0);
    expect(summary(rejected)).toEqual({ blue: '10.10.0.0/24', green: '10.20.0.0/24' });
    expect(rejected.problems.map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([`${blue}:6: spec.subnet 10.10.0.5/24 has host bits set; the network is 10.10.0.0/24`]);
    expect(rejected.files?.find((f) => f.file === blue)).toMatchObject({ state: 'rejected', lastGoodInForce: true, tenants: ['blue'] });
    expect(w.rejected.map(([f, p]) => [f, p.length])).toEqual([[blue, 1]]);

    // fix
    await writeFile(blue, tenant('blue', 100, '10.11.0.0/24'));
    const fixed = await w.until((s) => s.tenants.get('blue')?.subnet === '10.11.0.0/24');
    expect(fixed.problems).toEqual([]);
    expect(summary(fixed)).toEqual({ blue: '10.11.0.0/24', green: '10.20.0.0/24' });

    // delete
    await unlink(blue);
    const gone = await w.until((s) => !s.tenants.has('blue'));
    expect(summary(gone)).toEqual({ green: '10.20.0.0/24' });
    expect(w.rejected).toHaveLength(1);
  });

  it('rejects a new file that conflicts with one in force, and takes it once the conflict is gone', async () => {
    const dir = await mkdtemp(join(root, 'conflict-'));
    await writeFile(join(dir, 'a.yaml'), tenant('blue', 100, '10.10.0.0/24'));
    const w = start(dir);
    await w.until((s) => s.tenants.has('blue'));
    const b = join(dir, 'b.yaml');
    await writeFile(b, tenant('red', 100, '10.30.0.0/24'));
    const clash = await w.until((s) => s.problems.length > 0);
    expect(clash.problems.map((p) => p.message)).toEqual([`spec.id 100 of tenant "red" is already used by tenant "blue" (${join(dir, 'a.yaml')}:5)`]);
    expect([...clash.tenants.keys()]).toEqual(['blue']);
    await unlink(join(dir, 'a.yaml'));
    const after = await w.until((s) => s.tenants.has('red'));
    expect([...after.tenants.keys()]).toEqual(['red']);
    expect(after.problems).toEqual([]);
  });

  it('ignores dotfiles and other extensions, and emits nothing for a change that alters nothing', async () => {
    const dir = await mkdtemp(join(root, 'quiet-'));
    await writeFile(join(dir, 'a.yml'), tenant('blue', 100, '10.10.0.0/24'));
    const w = start(dir);
    await w.until((s) => s.tenants.has('blue'));
    await writeFile(join(dir, '.a.yml.swp'), 'garbage: [');
    await writeFile(join(dir, 'notes.txt'), 'not a manifest');
    await writeFile(join(dir, 'a.yml'), `${tenant('blue', 100, '10.10.0.0/24')}# a trailing comment changes no tenant\n`);
    await writeFile(join(dir, 'b.yaml'), tenant('green', 200, '10.20.0.0/24'));
    const s = await w.until((x) => x.tenants.has('green'));
    expect(s.problems).toEqual([]);
    expect(w.count()).toBe(2);
  });

  it('picks up changes by periodic rescan alone, and a directory created after the start', async () => {
    const dir = join(root, 'later');
    const w = start(dir, { rescanMs: 100 });
    const first = await w.until(() => true);
    expect(first.tenants.size).toBe(0);
    expect(first.problems.map((p) => p.message)).toEqual(['cannot read manifest directory: ENOENT']);
    await mkdir(dir);
    const f = join(dir, 'blue.yaml');
    await writeFile(f, tenant('blue', 100, '10.10.0.0/24'));
    await w.until((s) => s.tenants.has('blue'));
    // Same size, same inode and the old mtime restored: a stat cannot tell, the fs.watch event forces a re-read.
    const before = await stat(f);
    await writeFile(f, tenant('blue', 101, '10.10.0.0/24'));
    await utimes(f, before.atime, before.mtime);
    const changed = await w.until((s) => s.tenants.get('blue')?.id === 101);
    expect(changed.problems).toEqual([]);
  });
});
