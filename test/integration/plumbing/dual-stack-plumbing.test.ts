import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stat } from 'node:fs/promises';
import { OvsSandbox } from '../../../src/sandbox/ovs-sandbox.js';
import { run } from '../../../src/exec/run.js';
import { hostIfName, macFor, peerTmpName } from '../../../src/core/names.js';
import { IpPlumbing, NetlinkPlumbing, NftHostGuard, TxChecksumOffload, hasNetlink, type PlugSpec } from '../../../src/plumbing/index.js';
import { WorkloadIpv6Settings } from '../../../src/plumbing/workload-ipv6.js';
import { loadNative } from '../../../src/native/native.js';
import { eui64LinkLocal } from '../../../src/net/index.js';

interface AddrInfo { family: string; local: string; prefixlen: number; scope: string; tentative?: boolean; dadfailed?: boolean }

async function addrs(nsPath: string, dev: string): Promise<AddrInfo[]> {
  const out = JSON.parse((await run('ip', ['-j', 'addr', 'show', 'dev', dev], { netns: nsPath })).stdout) as { addr_info: AddrInfo[] }[];
  return out[0]?.addr_info ?? [];
}

async function nsSysctl(nsPath: string, key: string): Promise<string> {
  return (await run('sysctl', ['-n', key], { netns: nsPath })).stdout.trim();
}

describe.each([
  { mode: 'native addon', native: undefined },
  { mode: 'process fallback', native: null },
] as const)('dual-stack plumbing ($mode)', ({ mode, native }) => {
  let sb: OvsSandbox;
  let plumbing: IpPlumbing;
  const spawns: string[] = [];
  let n = 0;

  async function specFor(nsPath: string, v6: boolean): Promise<PlugSpec> {
    const inode = (await stat(nsPath)).ino;
    const key = `${nsPath}#${inode}`;
    n++;
    return {
      key, nsPath, inode, hostIf: hostIfName(key), peerTmp: peerTmpName(key), ifName: 'eth0', mac: macFor(key), ip: `10.22.0.${n + 1}`, prefixLen: 24, mtu: 1500,
      gateway: '10.22.0.1', ...(v6 ? { ipv6: { ip: `fd00:22::${(n + 1).toString(16)}`, prefixLen: 64, gateway: 'fd00:22::1' } } : {}),
    };
  }

  beforeAll(async () => {
    sb = await OvsSandbox.start({ label: `dual-${native === null ? 'fallback' : 'native'}` });
    const onSpawn = (p: string): void => void spawns.push(p);
    const guard = new NftHostGuard({ bridge: 'br-dual', hostNetns: sb.hostNetns, ingressDrop: true, native, onSpawn });
    const opts = { hostNetns: sb.hostNetns, guard, offload: new TxChecksumOffload({ native, onSpawn }), ipv6Settings: new WorkloadIpv6Settings({ native, onSpawn }), onSpawn };
    const addon = loadNative().addon;
    plumbing = native === null || !hasNetlink(addon) ? new IpPlumbing(opts) : new NetlinkPlumbing(addon, opts);
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it(`uses the path it was asked to (${mode})`, () => {
    if (native !== null) expect(plumbing, `addon not loaded or without rtnetlink: ${loadNative().reason}`).toBeInstanceOf(NetlinkPlumbing);
    else expect(plumbing).not.toBeInstanceOf(NetlinkPlumbing);
  });

  it('sets the IPv6 address (no DAD), the EUI-64 link-local of the MAC, the IPv6 default route, and no RA/SLAAC/DAD; the host end keeps IPv6 off', async () => {
    const [path] = await sb.netnsDir.add('d6');
    // A namespace whose own default would make a stable-privacy link-local: the port must still get the EUI-64 one.
    await run('sysctl', ['-q', '-w', 'net.ipv6.conf.default.addr_gen_mode=2', 'net.ipv6.conf.default.accept_ra=2', 'net.ipv6.conf.default.disable_ipv6=1'], { netns: path! });
    const spec = await specFor(path!, true);
    spawns.length = 0;
    expect((await plumbing.plug([spec])).map((r) => r.ok)).toEqual([true]);
    // The process fallback spends one more process (sysctl, counted as nsenter) on a dual-stack namespace; the addon none.
    if (native === null) expect(spawns.filter((p) => p === 'nsenter')).toHaveLength(3);
    else expect(spawns).toEqual([]);

    const a = await addrs(spec.nsPath, 'eth0');
    const v6 = a.filter((x) => x.family === 'inet6');
    expect(v6.map((x) => `${x.local}/${x.prefixlen} ${x.scope}`).sort()).toEqual([`${eui64LinkLocal(spec.mac)}/64 link`, 'fd00:22::2/64 global'].sort());
    expect(v6.filter((x) => x.tentative || x.dadfailed)).toEqual([]);
    expect(a.filter((x) => x.family === 'inet').map((x) => x.local)).toEqual([spec.ip]);
    const routes = (await run('ip', ['-6', 'route', 'show', 'default'], { netns: spec.nsPath })).stdout;
    expect(routes).toMatch(/^default via fd00:22::1 dev eth0/m);
    for (const [k, v] of [['accept_ra', '0'], ['autoconf', '0'], ['accept_dad', '0'], ['accept_redirects', '0'], ['disable_ipv6', '0'], ['addr_gen_mode', '0']]) {
      expect(await nsSysctl(spec.nsPath, `net.ipv6.conf.eth0.${k}`), k).toBe(v);
    }
    expect(await sb.inHost('sysctl', ['-n', `net.ipv6.conf.${spec.hostIf}.disable_ipv6`]).then((r) => r.stdout.trim())).toBe('1');
    expect((await sb.inHost('ip', ['-6', 'addr', 'show', 'dev', spec.hostIf])).stdout.trim()).toBe('');
  });

  it('configures an IPv6-only port (a tenant without spec.subnet): no IPv4 address or route, the IPv6 address, link-local and route', async () => {
    const [path] = await sb.netnsDir.add('o6');
    const { ip: _ip, prefixLen: _len, gateway: _gw, ...spec } = await specFor(path!, true);
    expect((await plumbing.plug([spec])).map((r) => r.ok)).toEqual([true]);
    const a = await addrs(spec.nsPath, 'eth0');
    expect(a.filter((x) => x.family === 'inet')).toEqual([]);
    expect(a.filter((x) => x.family === 'inet6').map((x) => `${x.local}/${x.prefixlen} ${x.scope}`).sort())
      .toEqual([`${eui64LinkLocal(spec.mac)}/64 link`, `${spec.ipv6!.ip}/64 global`].sort());
    expect((await run('ip', ['-4', 'route', 'show'], { netns: spec.nsPath })).stdout.trim()).toBe('');
    expect((await run('ip', ['-6', 'route', 'show', 'default'], { netns: spec.nsPath })).stdout).toMatch(/^default via fd00:22::1 dev eth0/m);
    expect(await nsSysctl(spec.nsPath, 'net.ipv6.conf.eth0.accept_ra')).toBe('0');
  });

  it('configures an IPv4-only port exactly as before: no IPv6 sysctl written, no IPv6 address but the kernel\'s own', async () => {
    const [path] = await sb.netnsDir.add('v4');
    const spec = await specFor(path!, false);
    spawns.length = 0;
    expect((await plumbing.plug([spec])).map((r) => r.ok)).toEqual([true]);
    if (native === null) expect(spawns.filter((p) => p === 'nsenter')).toHaveLength(2);
    expect(await nsSysctl(spec.nsPath, 'net.ipv6.conf.eth0.accept_ra')).toBe('1');
    expect((await addrs(spec.nsPath, 'eth0')).filter((x) => x.family === 'inet6' && x.scope === 'global')).toEqual([]);
  });
});
