import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lstat, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { scanNamespaces, watchNamespaces$, type NamespaceRefusedError } from '../../../src/netns/index.js';
import { PrivateNetnsDir } from '../../../src/sandbox/private-netns-dir.js';
import { run } from '../../../src/exec/run.js';
import { EventCollector, sleep } from './event-collector.js';
import { recordingLogger } from '../../unit/netns/fake-netns-fs.js';

const root = join(process.env.NSVS_TEST_ROOT ?? tmpdir(), `nsvs-refused-${process.pid}-${randomBytes(3).toString('hex')}`);

/**
 * The namespace source against real hostile files: symlinks (to the
 * process's own namespace, to a namespace beside it), bind mounts of its own
 * and of the "host" namespace, and one namespace under two names.
 */
describe('watchNamespaces$ refuses hostile files (real namespaces)', () => {
  let dir: PrivateNetnsDir;
  let hostDir: PrivateNetnsDir;
  let events: EventCollector;
  const refusals = new Map<string, NamespaceRefusedError | undefined>();
  const { logger, records } = recordingLogger();
  const p = (n: string) => dir.path(n);

  beforeAll(async () => {
    dir = await PrivateNetnsDir.create(join(root, 'netns'));
    hostDir = await PrivateNetnsDir.create(join(root, 'host'));
    await hostDir.add('host');
    await dir.add('red-1');
    await symlink('red-1', p('green-alias'));
    await symlink('/proc/self/ns/net', p('self-link'));
    await writeFile(p('self-mount'), '');
    await run('mount', ['--bind', '/proc/self/ns/net', p('self-mount')]);
    await writeFile(p('host-mount'), '');
    await run('mount', ['--bind', hostDir.path('host'), p('host-mount')]);
    await writeFile(p('red-0-dup'), '');
    await run('mount', ['--bind', p('red-1'), p('red-0-dup')]);
  });
  afterAll(async () => {
    events?.stop();
    // Links first (a link's `umount` would act on its target); green-alias is a real namespace by now.
    for (const n of ['green-alias', 'self-link']) if ((await lstat(p(n)).catch(() => undefined))?.isSymbolicLink()) await rm(p(n));
    await dir?.destroy();
    await hostDir?.destroy();
    await rm(root, { recursive: true, force: true });
  });

  it('admits only the real namespace; the others are refused once each, with the reason', async () => {
    events = new EventCollector(watchNamespaces$({
      dirs: [dir.dir], logger, rescanIntervalMs: 200, hostNetns: hostDir.path('host'),
      onRefusal: (path, r) => refusals.set(path, r),
    }));
    await events.waitFor((evs) => evs.length >= 1 && refusals.size >= 5, 'red-1 and five refusals');
    // Several rescans: nothing new.
    await sleep(700);
    // Same look: red-0-dup and red-1 are the same namespace; the smaller path wins the tie.
    expect(events.events.map((e) => `${e.type} ${e.ns.name}`)).toEqual(['added red-0-dup']);
    expect(new Map([...refusals].map(([k, v]) => [k, v?.reason]))).toEqual(new Map([
      [p('green-alias'), 'symlink'],
      [p('self-link'), 'symlink'],
      [p('self-mount'), 'agent-namespace'],
      [p('host-mount'), 'host-namespace'],
      [p('red-1'), 'alias'],
    ]));
    const warned = records.filter((r) => r.msg === 'refusing namespace file: it is never plugged').map((r) => r.path).sort();
    expect(warned).toEqual([...refusals.keys()].sort());
  });

  it('scanNamespaces (one look) gives the same answer', async () => {
    const found = await scanNamespaces([dir.dir], { hostNetns: hostDir.path('host') });
    expect(found.map((n) => n.name)).toEqual(['red-0-dup']);
  });

  it('the first name going admits the alias; a symlink replaced by a real namespace is picked up', async () => {
    await dir.remove('red-0-dup');
    await rm(p('green-alias'));
    await dir.add('green-alias');
    await events.waitFor((evs) => evs.some((e) => e.type === 'added' && e.ns.name === 'green-alias') && evs.some((e) => e.type === 'added' && e.ns.name === 'red-1'), 'red-1 and green-alias added');
    expect(events.events.map((e) => `${e.type} ${e.ns.name}`).sort()).toEqual(['added green-alias', 'added red-0-dup', 'added red-1', 'removed red-0-dup']);
    expect(refusals.get(p('green-alias'))).toBeUndefined();
    expect(refusals.get(p('red-1'))).toBeUndefined();
    expect([...refusals.values()].filter(Boolean)).toHaveLength(3);
  });
});
