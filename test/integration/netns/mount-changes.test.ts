import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { watchNamespaces$ } from '../../../src/netns/index.js';
import { mountChanges$ } from '../../../src/netns/mount-changes.js';
import { loadNative } from '../../../src/native/native.js';
import { PrivateNetnsDir } from '../../../src/sandbox/private-netns-dir.js';
import { run } from '../../../src/exec/run.js';
import { silentLogger } from '../../../src/observe/logger.js';
import type { NamespaceEvent } from '../../../src/netns/types.js';
import { EventCollector, sleep } from './event-collector.js';

const id = `${process.pid}-${randomBytes(3).toString('hex')}`;
const root = join(process.env.NSVS_TEST_ROOT ?? tmpdir(), `nsvs-mounts-${id}`);
const addon = loadNative().addon;
const added = (path: string) => (es: NamespaceEvent[]) => es.some((e) => e.type === 'added' && e.ns.path === path);

/**
 * A namespace file is created first and bind-mounted after (`ip netns add`, container runtimes); a mount makes
 * no inotify event. With the mount table watched, the mount is found when it happens; here the re-check timer is
 * set to a minute, so only the watch can find it within the test.
 */
describe.skipIf(!addon?.watchMounts)('mount table changes (native addon)', () => {
  let dir: PrivateNetnsDir;

  beforeAll(async () => {
    dir = await PrivateNetnsDir.create(join(root, 'netns'));
  });
  afterAll(async () => {
    await dir?.destroy();
    await rm(root, { recursive: true, force: true });
  });

  it('watchMounts calls back on a mount and an unmount, and never after close()', async () => {
    let calls = 0;
    const h = addon!.watchMounts!(() => calls++);
    const file = await dir.addPlainFile('probe');
    await run('unshare', [`--net=${file}`, 'true']);
    await expect.poll(() => calls, { timeout: 5_000 }).toBeGreaterThan(0);
    const afterMount = calls;
    await run('umount', [file]);
    await expect.poll(() => calls, { timeout: 5_000 }).toBeGreaterThan(afterMount);
    h.close();
    h.close();
    await sleep(50);
    const closedAt = calls;
    await run('unshare', [`--net=${file}`, 'true']);
    await run('umount', [file]);
    await sleep(200);
    expect(calls).toBe(closedAt);
  });

  it('does not keep the process alive', async () => {
    const script = `const a = require(${JSON.stringify(join(process.cwd(), 'build', 'native', 'nsvswitch.node'))}); a.watchMounts(() => {}); console.log('watching');`;
    const res = await run(process.execPath, ['-e', script], { timeoutMs: 10_000 });
    expect(res.stdout.trim()).toBe('watching');
  });

  async function mountedLater(name: string, withWatch: boolean): Promise<{ events: EventCollector; path: string }> {
    const events = new EventCollector(watchNamespaces$({
      dirs: [dir.dir], logger: silentLogger(), rescanIntervalMs: 600_000, readinessRetryMs: 60_000, readinessMaxStepMs: 60_000, readinessMaxWaitMs: 600_000,
      ...(withWatch ? { mountChanges$: mountChanges$(silentLogger()) } : {}),
    }));
    const path = await dir.addPlainFile(name);
    // Let the watch's first looks find the file plain (pending), then mount a namespace on it.
    await sleep(300);
    expect(events.events.filter((e) => e.ns.path === path)).toEqual([]);
    await run('unshare', [`--net=${path}`, 'true']);
    return { events, path };
  }

  it('finds a namespace mounted on a waiting file at the mount, not at the next re-check a minute later', async () => {
    const { events, path } = await mountedLater('late', true);
    try {
      await events.waitFor(added(path), 'the namespace mounted on the waiting file', 10_000);
    } finally {
      events.stop();
    }
  });

  it('(the control) without the watch, the same mount is not found before the re-check', async () => {
    const { events, path } = await mountedLater('late-control', false);
    try {
      await sleep(1_000);
      expect(added(path)(events.events)).toBe(false);
    } finally {
      events.stop();
    }
  });
});
