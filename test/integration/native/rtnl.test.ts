import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readlinkSync, rmSync } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNative, type NativeAddon, type NativeOpError } from '../../../src/native/native.js';
import { hasNetlink } from '../../../src/plumbing/index.js';
import { batchText, namespaceLines } from '../../../src/plumbing/batch-text.js';
import { PrivateNetnsDir } from '../../../src/sandbox/private-netns-dir.js';
import { run } from '../../../src/exec/run.js';
import type { PlugSpec } from '../../../src/plumbing/types.js';

interface IpAddrJson {
  ifname: string;
  address: string;
  mtu: number;
  flags: string[];
  addr_info: { family: string; local: string; prefixlen: number; scope: string }[];
}

/** Carrier comes a moment after both ends are up (the kernel's link watch): not part of what was configured. */
const CARRIER = new Set(['NO-CARRIER', 'LOWER_UP']);

/** What `ip -j` shows inside a namespace, without what differs by nature (ifindex, MAC, IPv6 link-local, carrier). */
async function view(nsPath: string): Promise<unknown> {
  const addr = JSON.parse((await run('ip', ['-j', 'addr', 'show'], { netns: nsPath })).stdout) as IpAddrJson[];
  const routes = JSON.parse((await run('ip', ['-j', 'route', 'show'], { netns: nsPath })).stdout) as Record<string, unknown>[];
  return {
    links: addr.map((l) => ({ ifname: l.ifname, mtu: l.mtu, flags: l.flags.filter((f) => !CARRIER.has(f)), inet: l.addr_info.filter((a) => a.family === 'inet') })),
    routes: routes.map(({ flags: _flags, ...r }) => r),
  };
}

const own = (): string => readlinkSync('/proc/thread-self/ns/net');

/** The rtnetlink half of the addon against the kernel, with `ip` as the oracle; every failure returns the thread home. */
describe('native rtnetlink (addon)', () => {
  const { addon: loaded, reason } = loadNative();
  const addon = loaded as NativeAddon;
  let base: string;
  let dir: PrivateNetnsDir;
  let host: FileHandle;
  let hostSock = -1;
  let agentNs: string;

  beforeAll(async () => {
    base = await mkdtemp(join(process.env.NSVS_TEST_ROOT ?? tmpdir(), 'rtnl-'));
    dir = await PrivateNetnsDir.create(join(base, 'netns'));
    await dir.add('host');
    host = await open(dir.path('host'), 'r');
    agentNs = own();
    if (hasNetlink(loaded)) hostSock = addon.rtnlOpen(host.fd);
  });
  afterAll(async () => {
    if (hostSock >= 0) addon.rtnlClose(hostSock);
    await host?.close();
    await dir?.destroy();
    await rm(base, { recursive: true, force: true });
  });

  function spec(n: number, over: Partial<PlugSpec> = {}): PlugSpec & { ip: string; prefixLen: number } {
    return {
      key: `k${n}`, nsPath: '', hostIf: `nsvrt${n}`, peerTmp: `nsvtmp${n}`, ifName: 'eth0', mac: `02:00:00:00:00:${String(n).padStart(2, '0')}`,
      ip: `10.40.0.${n + 10}`, prefixLen: 24, mtu: 1450, gateway: '10.40.0.1', ...over,
    };
  }

  it('has the rtnetlink calls', () => {
    expect(hasNetlink(loaded), reason).toBe(true);
  });

  it('configures a namespace exactly as the process path (ip -batch) does, and lists and deletes host ends', async () => {
    const [a, b] = await dir.add('same-a', 'same-b');
    const sa = spec(1);
    const sb = spec(2, { ip: sa.ip });
    const ha = await open(a!, 'r');
    try {
      expect(addon.rtnlCreateVeth(hostSock, sa.hostIf, sa.mtu, sa.peerTmp, sa.mac, ha.fd)).toBeNull();
      expect(addon.rtnlHostUp(hostSock, sa.hostIf)).toBeNull();
      expect(addon.rtnlConfigure(ha.fd, sa.peerTmp, sa.ifName, sa.ip, sa.prefixLen, sa.gateway ?? null)).toBeNull();
    } finally {
      await ha.close();
    }
    // The same plug by processes, with the batch text of the process path.
    await run('ip', ['link', 'add', 'dev', sb.hostIf, 'mtu', String(sb.mtu), 'type', 'veth', 'peer', 'name', sb.peerTmp, 'address', sb.mac, 'mtu', String(sb.mtu), 'netns', b!], { netns: dir.path('host') });
    await run('ip', ['link', 'set', 'dev', sb.hostIf, 'addrgenmode', 'none', 'up'], { netns: dir.path('host') });
    await run('ip', ['-batch', '-'], { netns: b!, input: batchText(namespaceLines(sb)) });
    expect(await view(a!)).toEqual(await view(b!));
    const inA = JSON.parse((await run('ip', ['-j', 'link', 'show', 'eth0'], { netns: a! })).stdout) as IpAddrJson[];
    expect(inA[0]?.address).toBe(sa.mac);

    const listed = addon.rtnlListLinks(hostSock, 'nsvrt');
    expect(listed.map((l) => [l.name, l.mtu, l.up]).sort()).toEqual([[sa.hostIf, sa.mtu, true], [sb.hostIf, sb.mtu, true]]);
    const hostView = JSON.parse((await run('ip', ['-j', 'link', 'show', 'dev', sa.hostIf], { netns: dir.path('host') })).stdout) as { ifindex: number }[];
    expect(listed.find((l) => l.name === sa.hostIf)?.ifindex).toBe(hostView[0]?.ifindex);
    expect((await run('ip', ['-6', 'addr', 'show', 'dev', sa.hostIf], { netns: dir.path('host') })).stdout.trim()).toBe('');

    expect(addon.rtnlDeleteLink(hostSock, sa.hostIf)).toBeNull();
    expect(addon.rtnlDeleteLink(hostSock, sb.hostIf)).toBeNull();
    expect(addon.rtnlListLinks(hostSock, 'nsvrt')).toEqual([]);
    expect(addon.rtnlDeleteLink(hostSock, sa.hostIf)).toMatchObject({ code: 'ENODEV', op: 'delete veth' });
    expect(own()).toBe(agentNs);
  });

  it('configures without a default route when no gateway is given (a secondary interface)', async () => {
    const [p] = await dir.add('no-gw');
    const s = spec(3, { gateway: undefined, ifName: 'net1' });
    const h = await open(p!, 'r');
    try {
      expect(addon.rtnlCreateVeth(hostSock, s.hostIf, s.mtu, s.peerTmp, s.mac, h.fd)).toBeNull();
      expect(addon.rtnlConfigure(h.fd, s.peerTmp, s.ifName, s.ip, s.prefixLen, null)).toBeNull();
    } finally {
      await h.close();
    }
    const routes = (await run('ip', ['route', 'show'], { netns: p! })).stdout;
    expect(routes).not.toMatch(/default/);
    expect(routes).toMatch(/^10\.40\.0\.0\/24 dev net1 /m);
    expect(addon.rtnlDeleteLink(hostSock, s.hostIf)).toBeNull();
  });

  it('returns typed errors (errno, code, step) and leaves the thread in its own namespace on every failure', async () => {
    const [taken, empty, gone] = await dir.add('err-taken', 'err-empty', 'err-gone');
    await run('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'other0'], { netns: taken! });
    const ht = await open(taken!, 'r');
    const he = await open(empty!, 'r');
    const hg = await open(gone!, 'r');
    const devNull = await open('/dev/null', 'r');
    const BOGUS_FD = 987654;
    try {
      const s = spec(4);
      // Name taken: the rename fails, nothing after it runs, and the owner of the name is untouched.
      expect(addon.rtnlCreateVeth(hostSock, s.hostIf, s.mtu, s.peerTmp, s.mac, ht.fd)).toBeNull();
      const takenErr = addon.rtnlConfigure(ht.fd, s.peerTmp, 'eth0', s.ip, s.prefixLen, s.gateway ?? null) as NativeOpError;
      expect(takenErr).toMatchObject({ op: 'rename', code: 'EEXIST', errno: 17 });
      expect(takenErr.message).toContain('eth0');
      expect((await run('ip', ['-4', 'addr', 'show', 'dev', 'eth0'], { netns: taken! })).stdout.trim()).toBe('');
      expect(own()).toBe(agentNs);
      // The host end already exists.
      expect(addon.rtnlCreateVeth(hostSock, s.hostIf, s.mtu, 'nsvtmpx', s.mac, he.fd)).toMatchObject({ op: 'create veth', code: 'EEXIST' });
      expect(addon.rtnlDeleteLink(hostSock, s.hostIf)).toBeNull();
      // The temporary peer is not there.
      expect(addon.rtnlConfigure(he.fd, 'nsvtmp4', 'eth0', s.ip, s.prefixLen, null)).toMatchObject({ op: 'rename', code: 'ENODEV' });
      // A descriptor that is not open, and one that is not a namespace.
      expect(() => addon.rtnlOpen(BOGUS_FD)).toThrow(expect.objectContaining({ code: 'EBADF', op: 'open route socket in' }));
      expect(addon.rtnlConfigure(BOGUS_FD, 'nsvtmp4', 'eth0', s.ip, s.prefixLen, null)).toMatchObject({ op: 'enter namespace', code: 'EBADF' });
      expect(addon.rtnlConfigure(devNull.fd, 'nsvtmp4', 'eth0', s.ip, s.prefixLen, null)).toMatchObject({ op: 'enter namespace', code: 'EINVAL' });
      expect(addon.rtnlCreateVeth(hostSock, 'nsvrt5', 1500, 'nsvtmp5', s.mac, BOGUS_FD)).toMatchObject({ op: 'create veth', code: 'EBADF' });
      expect(addon.rtnlListLinks(hostSock, 'nsvrt5')).toEqual([]);
      expect(own()).toBe(agentNs);
      // Gone mid-plug (unmounted and removed like `ip netns del`): the held descriptor still names it, so the
      // veth lands there and nowhere else; the plumbing's vanish check then rolls it back (plumbing tests).
      const g = spec(6);
      expect(addon.rtnlCreateVeth(hostSock, g.hostIf, g.mtu, g.peerTmp, g.mac, hg.fd)).toBeNull();
      execFileSync('umount', ['-l', gone!]);
      rmSync(gone!);
      expect(addon.rtnlConfigure(hg.fd, g.peerTmp, g.ifName, g.ip, g.prefixLen, g.gateway ?? null)).toBeNull();
      expect(own()).toBe(agentNs);
      expect(addon.rtnlDeleteLink(hostSock, g.hostIf)).toBeNull();
      // Nothing of this reached the agent's own namespace.
      const mine = addon.rtnlOpen(-1);
      try {
        expect(addon.rtnlListLinks(mine, 'nsvrt')).toEqual([]);
        expect(addon.rtnlListLinks(mine, 'nsvtmp')).toEqual([]);
      } finally {
        addon.rtnlClose(mine);
      }
    } finally {
      await Promise.all([ht.close(), he.close(), hg.close(), devNull.close()]);
    }
    expect(own()).toBe(agentNs);
  });

  it('refuses bad arguments before any system call (names over 15 bytes, bad addresses, prefix, MTU, MAC)', () => {
    expect(() => addon.rtnlCreateVeth(hostSock, 'a'.repeat(16), 1500, 'p', '02:00:00:00:00:01', host.fd)).toThrow(/1-15 bytes/);
    expect(() => addon.rtnlCreateVeth(hostSock, 'nsvrt7', 1500, 'p\u0000x', '02:00:00:00:00:01', host.fd)).toThrow(/1-15 bytes/);
    expect(() => addon.rtnlCreateVeth(hostSock, 'nsvrt7', 10, 'p', '02:00:00:00:00:01', host.fd)).toThrow(/invalid MTU/);
    expect(() => addon.rtnlCreateVeth(hostSock, 'nsvrt7', 1500, 'p', 'zz', host.fd)).toThrow(/invalid MTU, MAC/);
    expect(() => addon.rtnlConfigure(host.fd, 'p', 'eth0', '10.0.0.300', 24, null)).toThrow(/IPv4 address/);
    expect(() => addon.rtnlConfigure(host.fd, 'p', 'eth0', '10.0.0.3', 33, null)).toThrow(/prefix length/);
    expect(() => addon.rtnlConfigure(host.fd, 'p', 'eth0', '10.0.0.3', 24, 'gw')).toThrow(/IPv4 gateway/);
    expect(() => addon.rtnlListLinks(hostSock, 'a'.repeat(16))).toThrow(/at most 15 bytes/);
    expect(own()).toBe(agentNs);
  });
});
