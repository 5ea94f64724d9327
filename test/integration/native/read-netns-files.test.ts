import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readlinkSync } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNative, type NativeAddon } from '../../../src/native/native.js';
import { PrivateNetnsDir } from '../../../src/sandbox/private-netns-dir.js';
import { run } from '../../../src/exec/run.js';

const own = (): string => readlinkSync('/proc/thread-self/ns/net');

/** readNetnsFiles: several /proc/sys/net files read in another namespace, one entry, each file on its own; `sysctl -n` the oracle. */
describe('native readNetnsFiles (addon)', () => {
  const addon = loadNative().addon as NativeAddon;
  let base: string;
  let dir: PrivateNetnsDir;
  let ns: string;
  let h: FileHandle;

  const sysctl = async (key: string): Promise<string> => (await run('sysctl', ['-n', key], { netns: ns })).stdout;
  const read = (paths: string[]) => addon.readNetnsFiles!(h.fd, paths);

  beforeAll(async () => {
    base = await mkdtemp(join(process.env.NSVS_TEST_ROOT ?? tmpdir(), 'rnf-'));
    dir = await PrivateNetnsDir.create(join(base, 'netns'));
    [ns] = await dir.add('n1') as [string];
    await run('ip', ['-batch', '-'], { netns: ns, input: 'link add r0 type veth peer name r1\n' });
    await run('sysctl', ['-q', '-w', 'net.ipv4.conf.r0.arp_ignore=8', 'net.ipv4.conf.r1.rp_filter=2', 'net.ipv4.ip_forward=1'], { netns: ns });
    h = await open(ns, 'r');
  });
  afterAll(async () => {
    await h?.close();
    await dir?.destroy();
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('is in this build', () => {
    expect(typeof addon.readNetnsFiles).toBe('function');
  });

  it('reads every file as the other namespace sees it (the text sysctl -n prints); the thread is back in its own', async () => {
    const keys = ['net.ipv4.conf.r0.arp_ignore', 'net.ipv4.conf.r1.rp_filter', 'net.ipv4.ip_forward', 'net.ipv6.conf.r0.disable_ipv6', 'net.ipv4.conf.r1.arp_ignore'];
    const before = own();
    const texts = read(keys.map((k) => `/proc/sys/${k.replaceAll('.', '/')}`));
    expect(own()).toBe(before);
    expect(texts).toEqual(await Promise.all(keys.map(sysctl)));
    expect(texts.slice(0, 3)).toEqual(['8\n', '2\n', '1\n']);
    // The device is not in the caller's namespace: the files really were opened in the other one.
    expect(addon.readNetnsFiles!(-1, ['/proc/sys/net/ipv4/conf/r0/arp_ignore'])[0]).toMatchObject({ code: 'ENOENT', index: 0 });
  });

  it('a file that cannot be opened is its own error (as writeNetnsFile throws it, with its index) and stops none of the others', () => {
    const texts = read(['/proc/sys/net/ipv4/conf/nosuchdev/arp_ignore', '/proc/sys/net/ipv4/conf/r0/arp_ignore', '/proc/sys/net/ipv4/conf/r0/nosuchkey']);
    expect(texts[0]).toMatchObject({ code: 'ENOENT', errno: 2, index: 0, message: 'open /proc/sys/net/ipv4/conf/nosuchdev/arp_ignore: No such file or directory' });
    expect(texts[0]).toBeInstanceOf(Error);
    expect(texts[1]).toBe('8\n');
    expect(texts[2]).toMatchObject({ code: 'ENOENT', index: 2 });
    let thrown: unknown;
    try {
      addon.writeNetnsFile(h.fd, '/proc/sys/net/ipv4/conf/nosuchdev/arp_ignore', '1');
    } catch (e) {
      thrown = e;
    }
    expect((thrown as Error).message).toBe((texts[0] as Error).message);
  });

  it('a file of 256 bytes or more is refused (EFBIG), never cut; one of 255 is read whole', async () => {
    // The namespace's own reserved ports (a list the kernel prints back comma-separated), long and just short enough.
    const key = 'net.ipv4.ip_local_reserved_ports';
    const path = '/proc/sys/net/ipv4/ip_local_reserved_ports';
    const long = Array.from({ length: 60 }, (_, i) => 10000 + 2 * i).join(',');
    await run('sysctl', ['-q', '-w', `${key}=${long}`], { netns: ns });
    expect((await sysctl(key)).length).toBeGreaterThanOrEqual(256);
    const [big] = read([path]);
    expect(big).toMatchObject({ code: 'EFBIG', index: 0 });
    expect((big as Error).message).toMatch(/^read \/proc\/sys\/net\/ipv4\/ip_local_reserved_ports: /);
    // 42 ports of 5 digits, 41 commas and a newline: 252 bytes (one port more: 258).
    const fits = Array.from({ length: 42 }, (_, i) => 10000 + 2 * i).join(',');
    await run('sysctl', ['-q', '-w', `${key}=${fits}`], { netns: ns });
    expect((await sysctl(key)).length).toBe(252);
    expect(read([path])).toEqual([await sysctl(key)]);
    // A directory opens but cannot be read: the read's error, not the open's.
    const [dirErr] = read(['/proc/sys/net/ipv4/conf/r0']);
    expect(dirErr).toMatchObject({ code: 'EISDIR', index: 0 });
    expect((dirErr as Error).message).toMatch(/^read \/proc\/sys\/net\/ipv4\/conf\/r0: /);
  });

  it('refuses anything but /proc/sys/net files and bad arguments before reading anything', () => {
    expect(() => read(['/proc/sys/net/ipv4/ip_forward', '/etc/passwd'])).toThrow(/only \/proc\/sys\/net/);
    expect(() => read(['/proc/sys/net/../kernel/hostname'])).toThrow(/only \/proc\/sys\/net/);
    expect(() => read(Array(65).fill('/proc/sys/net/ipv4/ip_forward') as string[])).toThrow(/at most 64/);
    expect(() => read([''])).toThrow(/path/);
    expect(() => addon.readNetnsFiles!(h.fd, 'x' as unknown as string[])).toThrow(/array/);
    expect(read([])).toEqual([]);
    expect(() => addon.readNetnsFiles!(123456, ['/proc/sys/net/ipv4/ip_forward'])).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });
});
