// The manifest watcher on a real directory against the findings of an adversarial run: a catch-all
// pattern, a file that would unplug working namespaces, files too big, and a directory or file others
// can write. Every case checks what is in force afterwards and the problem shown (as /status shows it).
import { chmod, chown, mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplaySubject, filter, firstValueFrom, timeout, type Subscription } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Reconciler, type ReconcilerDeps } from '../../../src/agent/reconciler.js';
import { buildStatus } from '../../../src/agent/status.js';
import { EMPTY_PASS_INPUT, foldPassInput, type AgentEvent } from '../../../src/agent/pass-input.js';
import { namespacesWithWorkloads } from '../../../src/agent/workload-sources.js';
import { DEFAULT_CONFIG } from '../../../src/config/index.js';
import { MAX_DIR_BYTES, MAX_FILE_BYTES, watchManifests$, type NamespaceRef, type TenantSet, type WatchManifestsOptions } from '../../../src/manifests/index.js';
import { silentLogger } from '../../../src/observe/logger.js';
import type { VswitchSnapshot } from '../../../src/ovsdb/index.js';

const tenant = (name: string, id: number, subnet: string, patterns: string[]): string =>
  `apiVersion: nsvswitch/v1\nkind: Tenant\nmetadata: { name: ${name} }\nspec:\n  id: ${id}\n  subnet: ${subnet}\n  namespaces: ${JSON.stringify(patterns)}\n`;
const ns = (path: string): NamespaceRef => ({ path, name: path.slice(path.lastIndexOf('/') + 1), dir: path.slice(0, path.lastIndexOf('/')) });
const isRoot = process.getuid?.() === 0;

describe('watchManifests$ against hostile manifests', () => {
  let root: string;
  let sub: Subscription | undefined;
  beforeAll(async () => {
    root = await mkdtemp(join(process.env.NSVS_TEST_ROOT ?? tmpdir(), 'manifest-hostile-'));
  });
  afterEach(() => sub?.unsubscribe());
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function dirWith(name: string, files: Record<string, string>): Promise<string> {
    const dir = join(root, name);
    await mkdir(dir, { mode: 0o755 });
    await chmod(dir, 0o755);
    for (const [f, text] of Object.entries(files)) await writeFile(join(dir, f), text, { mode: 0o644 });
    return dir;
  }

  function start(dir: string, opts: WatchManifestsOptions = {}): (pred: (s: TenantSet) => boolean) => Promise<TenantSet> {
    const sets$ = new ReplaySubject<TenantSet>();
    sub = watchManifests$(dir, { debounceMs: 30, rescanMs: 100, ...opts }).subscribe((s) => sets$.next(s));
    return (pred) => firstValueFrom(sets$.pipe(filter(pred), timeout(10_000)));
  }

  it('rejects a file that would put working namespaces into conflict; they keep their tenant, and /status lists the problem', async () => {
    const dir = await dirWith('conflict', { 'blue.yaml': tenant('blue', 100, '10.10.0.0/24', ['blue-*']), 'shop.yaml': tenant('shop', 200, '10.20.0.0/24', ['shop-*']) });
    const reconciler = new Reconciler({ config: DEFAULT_CONFIG, logger: silentLogger() } as unknown as ReconcilerDeps);
    // The agent's input, folded from the sources' events as the agent folds it.
    let inputs = EMPTY_PASS_INPUT;
    const note = (ev: AgentEvent): void => {
      inputs = foldPassInput(inputs, ev);
    };
    const seen = ['/run/netns/blue-web', '/run/netns/shop-web', '/run/netns/blue-db'].map((p) => ({ ...ns(p), inode: 1, firstSeenMs: 0 }));
    for (const n of seen) note({ kind: 'namespace', event: { type: 'added', ns: n } });
    const until = start(dir, { namespaces: () => namespacesWithWorkloads(inputs) });
    await until((s) => s.tenants.size === 2);
    const hostile = join(dir, 'zz-web.yaml');
    await writeFile(hostile, tenant('web', 300, '10.30.0.0/24', ['*-web']), { mode: 0o644 });
    const set = await until((s) => s.problems.length > 0);
    expect([...set.tenants.keys()].sort()).toEqual(['blue', 'shop']);
    expect(set.problems.map((p) => `${p.file}:${p.line}`)).toEqual([`${hostile}:7`, `${hostile}:7`]);
    expect(set.problems[0]?.message).toContain('matches namespace /run/netns/blue-web, which pattern "blue-*" of tenant "blue"');
    expect(set.files?.find((f) => f.file === hostile)).toMatchObject({ state: 'rejected', tenants: [] });
    // What /status shows: the agent folds this set into its input; buildStatus lists its problems.
    note({ kind: 'tenants', set });
    const snapshot = { bridges: new Map(), ports: new Map(), interfaces: new Map() } as unknown as VswitchSnapshot;
    const status = buildStatus({ version: 't', bridge: 'br-nsv', ready: true, ovsdbConnected: true, reconciler, inputs, snapshot });
    expect(status.problems).toEqual(set.problems);
    expect(status.tenants.map((t) => t.name)).toEqual(['blue', 'shop']);
    // The workloads go away: the file is retried and taken.
    for (const n of seen.slice(0, 2)) note({ kind: 'namespace', event: { type: 'removed', ns: n } });
    const later = await until((s) => s.tenants.has('web'));
    expect(later.problems).toEqual([]);
  });

  it('refuses a catch-all pattern ("*"): nothing changes', async () => {
    const dir = await dirWith('star', { 'blue.yaml': tenant('blue', 100, '10.10.0.0/24', ['blue-*']) });
    const until = start(dir);
    await until((s) => s.tenants.has('blue'));
    await writeFile(join(dir, 'all.yaml'), tenant('all', 300, '10.30.0.0/24', ['/**']), { mode: 0o644 });
    const set = await until((s) => s.problems.length > 0);
    expect([...set.tenants.keys()]).toEqual(['blue']);
    expect(set.problems[0]?.message).toMatch(/^spec\.namespaces\[0\] "\/\*\*" matches every namespace in several directories/);
  });

  it('rejects a file over the size limit, keeping its last good version, and refuses a directory over its limit without unplugging', async () => {
    const dir = await dirWith('size', { 'blue.yaml': tenant('blue', 100, '10.10.0.0/24', ['blue-*']) });
    const until = start(dir);
    await until((s) => s.tenants.has('blue'));
    await writeFile(join(dir, 'blue.yaml'), `${tenant('blue', 101, '10.10.0.0/24', ['blue-*'])}# ${'x'.repeat(MAX_FILE_BYTES)}\n`);
    const big = await until((s) => s.problems.length > 0);
    expect(big.tenants.get('blue')?.id).toBe(100);
    expect(big.problems.map((p) => p.message)).toEqual(['file is 2 MiB, more than the limit of 2 MiB per manifest file: split it']);
    await writeFile(join(dir, 'blue.yaml'), tenant('blue', 100, '10.10.0.0/24', ['blue-*']));
    await until((s) => s.problems.length === 0);
    const filler = `# ${'x'.repeat(MAX_FILE_BYTES - 100)}\n`;
    for (let i = 0; i * (MAX_FILE_BYTES - 100) <= MAX_DIR_BYTES; i++) await writeFile(join(dir, `filler-${i}.yaml`), filler);
    const full = await until((s) => s.problems.some((p) => p.message.includes('more than the limit of 8 MiB')));
    expect(full.tenants.get('blue')?.id).toBe(100);
    expect(full.unreadable).toBe(true);
    expect(full.problems.at(-1)?.message).toMatch(new RegExp(`^manifest directory ${dir} holds 10(\\.\\d)? MiB of manifests, more than the limit of 8 MiB$`));
  });

  it('refuses a manifest directory others can write (StrictModes): the tenants in force stay, nothing new is read', async () => {
    const dir = await dirWith('mode-dir', { 'blue.yaml': tenant('blue', 100, '10.10.0.0/24', ['blue-*']) });
    const until = start(dir);
    await until((s) => s.tenants.has('blue'));
    await chmod(dir, 0o777);
    await writeFile(join(dir, 'evil.yaml'), tenant('evil', 666, '10.66.0.0/24', ['evil-*']));
    const refused = await until((s) => s.problems.length > 0);
    expect([...refused.tenants.keys()]).toEqual(['blue']);
    expect(refused.unreadable).toBe(true);
    expect(refused.problems.map((p) => p.message)).toEqual([
      `manifest directory ${dir} is writable by group and others (mode 0777): whoever can write it chooses every workload's network (chmod go-w ${dir}, or set manifestStrictModes: false)`,
    ]);
    await chmod(dir, 0o755);
    const back = await until((s) => s.tenants.has('evil'));
    expect(back.problems).toEqual([]);
  });

  it('rejects a manifest file others can write, or a symlink into such a directory; manifestStrictModes: false takes them', async () => {
    const loose = await dirWith('loose', {});
    await chmod(loose, 0o777);
    await writeFile(join(loose, 'green.yaml'), tenant('green', 200, '10.20.0.0/24', ['green-*']), { mode: 0o644 });
    const dir = await dirWith('mode-file', { 'blue.yaml': tenant('blue', 100, '10.10.0.0/24', ['blue-*']) });
    await symlink(join(loose, 'green.yaml'), join(dir, 'green.yaml'));
    const until = start(dir);
    const first = await until((s) => s.tenants.has('blue') && s.problems.length > 0);
    expect(first.problems.map((p) => p.message)).toEqual([expect.stringMatching(new RegExp(`^manifest file ${join(dir, 'green.yaml')} is a symlink into a directory that is not safe: directory ${loose} is writable by group and others \\(mode 0777\\)`))]);
    await unlink(join(dir, 'green.yaml'));
    await chmod(join(dir, 'blue.yaml'), 0o666);
    const file = await until((s) => s.problems.some((p) => p.message.includes('is writable by group and others (mode 0666)')));
    expect(file.tenants.get('blue')?.id).toBe(100);
    expect(file.files?.find((f) => f.file === join(dir, 'blue.yaml'))).toMatchObject({ state: 'rejected', lastGoodInForce: true });
    sub?.unsubscribe();
    const relaxed = start(dir, { strictModes: false });
    const ok = await relaxed((s) => s.tenants.has('blue'));
    expect(ok.problems).toEqual([]);
  });

  it.runIf(isRoot)('refuses a manifest file owned by another user', async () => {
    const dir = await dirWith('owner', { 'blue.yaml': tenant('blue', 100, '10.10.0.0/24', ['blue-*']) });
    await chown(join(dir, 'blue.yaml'), 4242, 4242);
    const until = start(dir);
    const set = await until((s) => s.problems.length > 0);
    expect(set.tenants.size).toBe(0);
    expect(set.problems[0]?.message).toBe(`manifest file ${join(dir, 'blue.yaml')} is owned by uid 4242, neither root nor the agent's uid 0: that user chooses every workload's network (chown root ${join(dir, 'blue.yaml')}, or set manifestStrictModes: false)`);
  });
});
