import { describe, expect, it } from 'vitest';
import { open } from 'node:fs/promises';
import { loadNative } from '../../../src/native/native.js';
import { PrivateNetnsDir } from '../../../src/sandbox/private-netns-dir.js';
import { run } from '../../../src/exec/run.js';
import { tmpdir } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';

describe('native addon (built at install)', () => {
  const { addon, reason } = loadNative();

  it('is built and loads on this machine', () => {
    expect(addon, reason).toBeDefined();
  });

  it('turns tx checksum offload off and on inside another namespace, and leaves the caller in its own', async () => {
    const base = await mkdtemp(join(process.env.NSVS_TEST_ROOT ?? tmpdir(), 'native-'));
    const dir = await PrivateNetnsDir.create(join(base, 'netns'));
    try {
      const [ns] = await dir.add('n1');
      await run('ip', ['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1'], { netns: ns! });
      const ownBefore = (await run('readlink', ['/proc/thread-self/ns/net'])).stdout;
      const h = await open(ns!, 'r');
      try {
        expect(addon!.getTxChecksum(h.fd, 'v0')).toBe(true);
        addon!.setTxChecksum(h.fd, 'v0', false);
        expect(addon!.getTxChecksum(h.fd, 'v0')).toBe(false);
        expect((await run('ethtool', ['-k', 'v0'], { netns: ns! })).stdout).toMatch(/^tx-checksumming: off/m);
        addon!.setTxChecksum(h.fd, 'v0', true);
        expect(addon!.getTxChecksum(h.fd, 'v0')).toBe(true);
        // The same name does not exist in the caller's namespace: the call really ran in the other one.
        expect(() => addon!.getTxChecksum(-1, 'v0')).toThrow(expect.objectContaining({ code: 'ENODEV' }));
        addon!.writeNetnsFile(h.fd, '/proc/sys/net/ipv6/conf/v0/disable_ipv6', '1');
        expect((await run('sysctl', ['-n', 'net.ipv6.conf.v0.disable_ipv6'], { netns: ns! })).stdout.trim()).toBe('1');
      } finally {
        await h.close();
      }
      expect((await run('readlink', ['/proc/thread-self/ns/net'])).stdout).toBe(ownBefore);
    } finally {
      await dir.destroy();
      await rm(base, { recursive: true, force: true });
    }
  });

  it('refuses to write anything but /proc/sys/net files, and bad arguments, with typed errors', () => {
    expect(() => addon!.writeNetnsFile(-1, '/etc/passwd', 'x')).toThrow(/only \/proc\/sys\/net/);
    expect(() => addon!.writeNetnsFile(-1, '/proc/sys/net/../kernel/hostname', 'x')).toThrow(/only \/proc\/sys\/net/);
    expect(() => addon!.setTxChecksum(-1, 'a'.repeat(16), false)).toThrow(/1-15 bytes/);
    expect(() => addon!.setTxChecksum(-1, 'nsvnotthere0000', false)).toThrow(expect.objectContaining({ code: 'ENODEV' }));
    expect(() => (addon as unknown as { setTxChecksum: (...a: unknown[]) => void }).setTxChecksum('x', 'lo', false)).toThrow(/file descriptor/);
    expect(() => addon!.setTxChecksum(123456, 'lo', false)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });
});
