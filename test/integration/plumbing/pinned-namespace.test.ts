import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pinNamespace } from '../../../src/plumbing/pinned-namespace.js';
import { PrivateNetnsDir } from '../../../src/sandbox/private-netns-dir.js';

const root = join(process.env.NSVS_TEST_ROOT ?? tmpdir(), `nsvs-pin-${process.pid}-${randomBytes(3).toString('hex')}`);

/** Defence in depth: a symlink swapped in after discovery is refused where plumbing opens the file. */
describe('pinNamespace', () => {
  let dir: PrivateNetnsDir;
  beforeAll(async () => {
    dir = await PrivateNetnsDir.create(join(root, 'netns'));
    await dir.add('red-1');
    await symlink('red-1', dir.path('green-alias'));
    await symlink('/proc/self/ns/net', dir.path('self-link'));
  });
  afterAll(async () => {
    for (const n of ['green-alias', 'self-link']) await rm(dir.path(n), { force: true });
    await dir?.destroy();
    await rm(root, { recursive: true, force: true });
  });

  it('pins a real namespace file', async () => {
    const r = await pinNamespace(dir.path('red-1'));
    expect(r.ok).toBe(true);
    if (r.ok) await r.ns.close();
  });

  it('refuses a symbolic link, to a namespace beside it or to its own namespace', async () => {
    for (const n of ['green-alias', 'self-link']) {
      expect(await pinNamespace(dir.path(n))).toEqual({ ok: false, reason: 'is a symbolic link (refused)' });
    }
  });
});
