import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readlinkSync } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNative, type NativeAddon } from '../../../src/native/native.js';
import { parseGatewayCounters } from '../../../src/plumbing/gateway/gateway-nft-text.js';
import { PrivateNetnsDir } from '../../../src/sandbox/private-netns-dir.js';
import { run } from '../../../src/exec/run.js';

const own = (): string => readlinkSync('/proc/thread-self/ns/net');

/** The nf_tables half of the addon against the kernel, with `nft` as the oracle, in a private namespace. */
describe('native nf_tables (addon)', () => {
  const { addon: loaded, reason } = loadNative();
  const addon = loaded as NativeAddon;
  let base: string;
  let dir: PrivateNetnsDir;
  let ns: string;
  let h: FileHandle;

  beforeAll(async () => {
    base = await mkdtemp(join(process.env.NSVS_TEST_ROOT ?? tmpdir(), 'native-nft-'));
    dir = await PrivateNetnsDir.create(join(base, 'netns'));
    [ns] = (await dir.add('n1')) as [string];
    h = await open(ns, 'r');
  });
  afterAll(async () => {
    await h?.close();
    await dir?.destroy();
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('is built with nf_tables', () => {
    expect(typeof loaded?.nftNetdevChains, reason).toBe('function');
  });

  it('reads a table\'s named counters as nft -j lists them, in that namespace only, and comes back', async () => {
    await run('nft', ['-f', '-'], {
      netns: ns,
      input: 'table inet nsvswitch_gw_x {\n  counter t1_egress { }\n  counter t1_drop_host { }\n  chain out {\n    type filter hook output priority 0; policy accept;\n    counter name "t1_egress"\n  }\n}\ntable inet other {\n  counter t2_egress { }\n}\n',
    });
    await run('ip', ['link', 'set', 'lo', 'up'], { netns: ns });
    await run('ping', ['-c', '2', '-i', '0.2', '127.0.0.1'], { netns: ns });
    const before = own();
    const native = addon.nftCounters(h.fd, 'inet', 'nsvswitch_gw_x');
    expect(own()).toBe(before);
    const viaNft = (await run('nft', ['-j', 'list', 'counters', 'table', 'inet', 'nsvswitch_gw_x'], { netns: ns })).stdout;
    expect(native.map((c) => c.name).sort()).toEqual(['t1_drop_host', 't1_egress']);
    expect(native.find((c) => c.name === 't1_egress')!.packets).toBeGreaterThanOrEqual(4);
    expect(parseGatewayCounters(JSON.stringify({ nftables: native.map((counter) => ({ counter })) }))).toEqual(parseGatewayCounters(viaNft));
    // A missing table has no counters; the agent's own namespace has no such table.
    expect(addon.nftCounters(h.fd, 'inet', 'nothere')).toEqual([]);
    expect(addon.nftCounters(-1, 'inet', 'nsvswitch_gw_x')).toEqual([]);
  });

  it('refuses bad arguments with typed errors before anything reaches the kernel', () => {
    expect(() => addon.nftNetdevChains(h.fd, 'bad-table', ['a'], [], -500)).toThrow(/letters, digits and underscores/);
    expect(() => addon.nftNetdevChains(h.fd, 't', ['a'.repeat(16)], [], -500)).toThrow(/1-15 bytes/);
    expect(() => addon.nftNetdevChains(h.fd, 't', [''], [], -500)).toThrow(/1-15 bytes/);
    expect(() => addon.nftNetdevChains(h.fd, 't', Array.from({ length: 1025 }, (_, i) => `n${i}`), [], -500)).toThrow(/at most 1024/);
    expect(() => (addon as unknown as { nftNetdevChains: (...a: unknown[]) => unknown }).nftNetdevChains(h.fd, 't', 'a', [], -500)).toThrow(/array/);
    expect(() => addon.nftNetdevChains(123456, 't', ['a'], [], -500)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(() => addon.nftCounters(h.fd, 'ip6' as 'inet', 't')).toThrow(/inet or netdev/);
  });

  it('reports each refused message with its interface, and commits nothing of a refused transaction', async () => {
    // A regular chain named busy0 is in the way of a base chain of that name.
    await run('nft', ['add', 'table', 'netdev', 't'], { netns: ns });
    await run('nft', ['add', 'chain', 'netdev', 't', 'busy0'], { netns: ns });
    const refused = addon.nftNetdevChains(h.fd, 't', ['ok0', 'busy0'], [], -500);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ ifname: 'busy0', op: 'add chain' });
    expect(refused[0]!.code).toMatch(/^E[A-Z]+$/);
    expect((await run('nft', ['list', 'table', 'netdev', 't'], { netns: ns })).stdout).not.toContain('ok0');
    expect(addon.nftNetdevChains(h.fd, 't', [], ['gone0'], -500).map((f) => [f.ifname, f.op, f.code])).toEqual([['gone0', 'flush chain', 'ENOENT'], ['gone0', 'delete chain', 'ENOENT']]);
  });
});
