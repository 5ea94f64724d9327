import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stat } from 'node:fs/promises';
import { OvsSandbox } from '../../../src/sandbox/ovs-sandbox.js';
import { run } from '../../../src/exec/run.js';
import { hostIfName, macFor, peerTmpName } from '../../../src/core/names.js';
import { IpPlumbing, NetlinkPlumbing, NftHostGuard, TxChecksumOffload, hasNetlink, type PlugSpec } from '../../../src/plumbing/index.js';
import { loadNative } from '../../../src/native/native.js';

/** `ethtool -k` says whether tx checksumming is on for `dev` inside the namespace. */
async function txChecksum(nsPath: string, dev: string): Promise<string> {
  const out = (await run('ethtool', ['-k', dev], { netns: nsPath })).stdout;
  return /^tx-checksumming: (\w+)/m.exec(out)?.[1] ?? 'unknown';
}

async function sysctl(sb: OvsSandbox, key: string): Promise<string> {
  return (await sb.inHost('sysctl', ['-n', key])).stdout.trim();
}

async function chains(sb: OvsSandbox, table: string): Promise<string> {
  return (await run('nft', ['list', 'table', 'netdev', table], { netns: sb.hostNetns, okExitCodes: [1] })).stdout;
}

describe.each([
  { mode: 'native addon', native: undefined },
  { mode: 'process fallback', native: null },
] as const)('host seal and checksum offload ($mode)', ({ mode, native }) => {
  let sb: OvsSandbox;
  let plumbing: IpPlumbing;
  let guard: NftHostGuard;
  const spawns: string[] = [];
  let n = 0;

  async function specFor(nsPath: string): Promise<PlugSpec> {
    const inode = (await stat(nsPath)).ino;
    const key = `${nsPath}#${inode}`;
    n++;
    return { key, nsPath, inode, hostIf: hostIfName(key), peerTmp: peerTmpName(key), ifName: 'eth0', mac: macFor(key), ip: `10.21.0.${n + 1}`, prefixLen: 24, mtu: 1500 };
  }

  beforeAll(async () => {
    sb = await OvsSandbox.start({ label: `seal-${native === null ? 'fallback' : 'native'}` });
    const onSpawn = (p: string): void => void spawns.push(p);
    guard = new NftHostGuard({ bridge: 'br-seal', hostNetns: sb.hostNetns, ingressDrop: true, native, onSpawn });
    const opts = { hostNetns: sb.hostNetns, guard, offload: new TxChecksumOffload({ native, onSpawn }), onSpawn };
    // The native addon also plugs (rtnetlink); the fallback runs everything as processes.
    const addon = loadNative().addon;
    plumbing = native === null || !hasNetlink(addon) ? new IpPlumbing(opts) : new NetlinkPlumbing(addon, opts);
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it(`uses the path it was asked to (${mode})`, () => {
    if (native === null) expect(new TxChecksumOffload({ native }).inProcess).toBe(false);
    else expect(plumbing, `addon not loaded or without rtnetlink: ${loadNative().reason}`).toBeInstanceOf(NetlinkPlumbing);
    expect(guard.nftInProcess).toBe(native !== null);
  });

  it('plugs with tx checksum offload off inside, the host end sealed (ingress drop, no IPv6, no ARP answers) before it is up', async () => {
    const paths = await sb.netnsDir.add('a', 'b');
    const specs = await Promise.all(paths.map((p) => specFor(p)));
    spawns.length = 0;
    const results = await plumbing.plug(specs);
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    const processes = spawns.filter((p) => p !== 'nsenter').sort();
    // The fallback: one nft for all chains, two ip batches, one sysctl process, and per namespace one ip
    // batch and one ethtool (counted as nsenter). The addon does links, sysctls, offloads and the seal's
    // chains (one nf_tables netlink transaction) in-process: no process at all.
    expect(processes).toEqual(native === null ? ['ip', 'ip', 'nft', 'sysctl'] : []);
    expect(spawns.filter((p) => p === 'nsenter')).toHaveLength(native === null ? 4 : 0);
    const listing = await chains(sb, guard.table);
    for (const s of specs) {
      expect(await txChecksum(s.nsPath, 'eth0')).toBe('off');
      expect(listing).toContain(`chain ${s.hostIf} {`);
      expect(listing).toMatch(new RegExp(`device "${s.hostIf}" priority -500; policy drop;`));
      expect(await sysctl(sb, `net.ipv6.conf.${s.hostIf}.disable_ipv6`)).toBe('1');
      expect(await sysctl(sb, `net.ipv4.conf.${s.hostIf}.arp_ignore`)).toBe('8');
      expect(await sysctl(sb, `net.ipv4.conf.${s.hostIf}.forwarding`)).toBe('0');
      expect((await sb.inHost('ip', ['-6', 'addr', 'show', 'dev', s.hostIf])).stdout.trim()).toBe('');
      expect((await sb.inHost('ip', ['-j', 'link', 'show', 'dev', s.hostIf])).stdout).toContain('"UP"');
    }
  });

  it('sync re-adds a deleted chain, replaces a tampered one, drops a stale one, and re-applies sysctls', async () => {
    const paths = await sb.netnsDir.add('c', 'd');
    const specs = await Promise.all(paths.map((p) => specFor(p)));
    expect((await plumbing.plug(specs)).every((r) => r.ok)).toBe(true);
    const [c, d] = specs as [PlugSpec, PlugSpec];
    await run('nft', ['delete', 'chain', 'netdev', guard.table, c.hostIf], { netns: sb.hostNetns });
    await run('nft', ['add', 'rule', 'netdev', guard.table, d.hostIf, 'accept'], { netns: sb.hostNetns });
    await run('nft', ['add', 'chain', 'netdev', guard.table, 'nsv000000000000'], { netns: sb.hostNetns });
    await sb.inHost('sysctl', ['-q', '-w', `net.ipv6.conf.${c.hostIf}.disable_ipv6=0`]);
    const all = [...(await plumbing.listHostLinks('nsv')).keys()];
    const res = await plumbing.guardHostEnds(all);
    expect(res.added).toBe(2);
    expect(res.removed).toBe(2);
    const listing = await chains(sb, guard.table);
    expect(listing).toContain(`chain ${c.hostIf} {`);
    expect(listing).not.toContain('accept');
    expect(listing).not.toContain('nsv000000000000');
    expect(await sysctl(sb, `net.ipv6.conf.${c.hostIf}.disable_ipv6`)).toBe('1');
    // Level-triggered: a second sync finds nothing to do.
    expect(await plumbing.guardHostEnds(all)).toEqual({ added: 0, removed: 0 });
  });

  it('unplug removes the chains of the deleted host ends; removeAll drops the table', async () => {
    const [p] = await sb.netnsDir.add('e');
    const s = await specFor(p!);
    expect((await plumbing.plug([s]))[0]?.ok).toBe(true);
    expect(await chains(sb, guard.table)).toContain(`chain ${s.hostIf} {`);
    await plumbing.unplug([s.hostIf]);
    expect(await chains(sb, guard.table)).not.toContain(s.hostIf);
    await guard.removeAll();
    expect(await chains(sb, guard.table)).toBe('');
    await guard.removeAll();
  });
});
