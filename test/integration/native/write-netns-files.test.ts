import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readlinkSync } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNative, type NativeAddon } from '../../../src/native/native.js';
import { PrivateNetnsDir } from '../../../src/sandbox/private-netns-dir.js';
import { run } from '../../../src/exec/run.js';

const own = (): string => readlinkSync('/proc/thread-self/ns/net');

/** writeNetnsFiles: several /proc/sys/net files in another namespace, one entry, stopping at the first failure. */
describe('native writeNetnsFiles (addon)', () => {
  const addon = loadNative().addon as NativeAddon;
  let base: string;
  let dir: PrivateNetnsDir;
  let ns: string;
  let h: FileHandle;

  async function sysctl(key: string): Promise<string> {
    return (await run('sysctl', ['-n', key], { netns: ns })).stdout.trim();
  }

  beforeAll(async () => {
    base = await mkdtemp(join(process.env.NSVS_TEST_ROOT ?? tmpdir(), 'wnf-'));
    dir = await PrivateNetnsDir.create(join(base, 'netns'));
    [ns] = await dir.add('n1') as [string];
    await run('ip', ['link', 'add', 'w0', 'type', 'veth', 'peer', 'name', 'w1'], { netns: ns });
    h = await open(ns, 'r');
  });
  afterAll(async () => {
    await h?.close();
    await dir?.destroy();
    await rm(base, { recursive: true, force: true });
  });

  it('is in this build', () => {
    expect(typeof addon.writeNetnsFiles).toBe('function');
  });

  it('writes every file in the other namespace and returns null; the thread is back in its own', async () => {
    const before = own();
    const err = addon.writeNetnsFiles!(h.fd, ['/proc/sys/net/ipv4/conf/w0/arp_ignore', '/proc/sys/net/ipv4/conf/w0/rp_filter', '/proc/sys/net/ipv6/conf/w0/disable_ipv6'], ['8', '1', '1']);
    expect(err).toBeNull();
    expect(own()).toBe(before);
    expect(await sysctl('net.ipv4.conf.w0.arp_ignore')).toBe('8');
    expect(await sysctl('net.ipv4.conf.w0.rp_filter')).toBe('1');
    expect(await sysctl('net.ipv6.conf.w0.disable_ipv6')).toBe('1');
    // The device is not in the caller's namespace: the files really were opened in the other one.
    expect(addon.writeNetnsFiles!(-1, ['/proc/sys/net/ipv4/conf/w0/arp_ignore'], ['0'])).toMatchObject({ code: 'ENOENT', index: 0 });
  });

  it('stops at the first file it cannot open: those before it written, none after it, the error as writeNetnsFile throws it', async () => {
    const before = own();
    const err = addon.writeNetnsFiles!(
      h.fd,
      ['/proc/sys/net/ipv4/conf/w1/arp_ignore', '/proc/sys/net/ipv4/conf/nosuchdev/arp_ignore', '/proc/sys/net/ipv4/conf/w1/rp_filter'],
      ['2', '1', '2'],
    );
    expect(own()).toBe(before);
    expect(err).toMatchObject({ code: 'ENOENT', index: 1, errno: 2 });
    expect(err?.message).toBe('open /proc/sys/net/ipv4/conf/nosuchdev/arp_ignore: No such file or directory');
    let thrown: unknown;
    try {
      addon.writeNetnsFile(h.fd, '/proc/sys/net/ipv4/conf/nosuchdev/arp_ignore', '1');
    } catch (e) {
      thrown = e;
    }
    expect((thrown as Error).message).toBe(err?.message);
    expect(await sysctl('net.ipv4.conf.w1.arp_ignore')).toBe('2');
    expect(await sysctl('net.ipv4.conf.w1.rp_filter')).not.toBe('2');
  });

  it('stops at a write the kernel refuses', async () => {
    const err = addon.writeNetnsFiles!(h.fd, ['/proc/sys/net/ipv4/conf/w1/accept_redirects', '/proc/sys/net/ipv4/conf/w1/arp_ignore', '/proc/sys/net/ipv4/conf/w1/forwarding'], ['0', 'x', '1']);
    expect(err).toMatchObject({ code: 'EINVAL', index: 1 });
    expect(err?.message).toMatch(/^write \/proc\/sys\/net\/ipv4\/conf\/w1\/arp_ignore: /);
    expect(await sysctl('net.ipv4.conf.w1.forwarding')).toBe('0');
  });

  it('refuses anything but /proc/sys/net files and bad arguments before writing anything', async () => {
    expect(() => addon.writeNetnsFiles!(h.fd, ['/proc/sys/net/ipv4/conf/w1/forwarding', '/etc/passwd'], ['1', 'x'])).toThrow(/only \/proc\/sys\/net/);
    expect(() => addon.writeNetnsFiles!(h.fd, ['/proc/sys/net/ipv4/conf/w1/forwarding', '/proc/sys/net/../kernel/hostname'], ['1', 'x'])).toThrow(/only \/proc\/sys\/net/);
    expect(await sysctl('net.ipv4.conf.w1.forwarding')).toBe('0');
    expect(() => addon.writeNetnsFiles!(h.fd, ['/proc/sys/net/ipv4/conf/w1/forwarding'], [])).toThrow(/same length/);
    expect(() => addon.writeNetnsFiles!(h.fd, Array(65).fill('/proc/sys/net/ipv4/conf/w1/forwarding'), Array(65).fill('0'))).toThrow(/at most 64/);
    expect(() => addon.writeNetnsFiles!(h.fd, ['/proc/sys/net/ipv4/conf/w1/forwarding'], [''])).toThrow(/text/);
    expect(addon.writeNetnsFiles!(h.fd, [], [])).toBeNull();
    expect(addon.writeNetnsFiles!(123456, ['/proc/sys/net/ipv4/conf/w1/forwarding'], ['1'])).toMatchObject({ code: 'EBADF', index: 0 });
  });
});
