import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/exec/run.js';
import { loadNative, type NativeAddon } from '../../../src/native/native.js';
import type { Logger } from '../../../src/observe/logger.js';
import { NftGatewayHost, type GatewayHostSpec } from '../../../src/plumbing/index.js';
import { parseAddrs, type LinkState } from '../../../src/plumbing/gateway/gateway-host.js';
import { hasInterfaceReads, readLinks, readSysctls, type InterfaceAddon } from '../../../src/plumbing/gateway/netlink-interfaces.js';
import { gatewayInterfaceSysctls, IP_FORWARD_ON } from '../../../src/plumbing/gateway/sysctls.js';
import { PrivateNamespaces } from '../../helpers/private-namespaces.js';

/**
 * The gateway interfaces' side of the full sync in-process (forwarding and per-interface sysctls read
 * through the addon, links and addresses over rtnetlink, only differing sysctls written) against the
 * process path (`sysctl`, `ip -j addr show` read by parseAddrs), the process path being the oracle: one
 * private "host" namespace with real gateway interfaces (a veth to a "tenant" namespace, a veth pair) and one
 * that is missing. Each drift made by hand is repaired by a host on the native path and, made again, by one
 * on the process path: the same result and the same state after. Nothing runs in this machine's own namespace.
 */

const GW1 = 'nsgif01';
const GW2 = 'nsgif02';
const GONE = 'nsgif03';
const GWS: GatewayHostSpec[] = [
  { tenantId: 1, ifName: GW1, ip: '10.81.0.1', prefixLen: 24, subnet: '10.81.0.0/24', snat: true, peers: [], hostServices: [] },
  { tenantId: 2, ifName: GW2, ip: '10.82.0.1', prefixLen: 24, subnet: '10.82.0.0/24', snat: false, peers: [], hostServices: [] },
  // Not present: its OVS port is not applied yet.
  { tenantId: 3, ifName: GONE, ip: '10.83.0.1', prefixLen: 24, subnet: '10.83.0.0/24', snat: true, peers: [], hostServices: [] },
];
/** What a full sync spawns on the process path when its table and interfaces are right: nft -s list, forwarding, addresses, sysctls. */
const PROCESS_STEADY = ['nft', 'sysctl', 'ip', 'sysctl'];

describe('the gateway interfaces read and written in-process against sysctl and ip -j addr show', () => {
  const { addon: loaded, reason } = loadNative();
  const addon = loaded as InterfaceAddon;
  let spaces: PrivateNamespaces | undefined;
  let ns: string;
  let fd = -1;
  const spawns: string[] = [];
  const onSpawn = (p: string): void => void spawns.push(p);
  const ip = (input: string) => run('ip', ['-batch', '-'], { netns: ns, input });
  const sysctlW = (...assignments: string[]) => run('sysctl', ['-q', '-w', ...assignments], { netns: ns });
  const linkNames = async (): Promise<string[]> => (JSON.parse((await run('ip', ['-j', 'link', 'show'], { netns: ns })).stdout) as { ifname: string }[]).map((l) => l.ifname);
  /** The oracle: `ip -j addr show` read by the parser the process path uses, for these names. */
  const byIp = async (names: readonly string[]): Promise<Record<string, LinkState>> => {
    const all = parseAddrs((await run('ip', ['-j', 'addr', 'show'], { netns: ns })).stdout);
    return Object.fromEntries(names.filter((n) => all.has(n)).map((n) => [n, all.get(n)!]));
  };
  const byRtnl = (names: readonly string[]): Record<string, LinkState> => Object.fromEntries(readLinks(addon, fd, names));
  const sysctlKeys = [IP_FORWARD_ON, ...gatewayInterfaceSysctls(GW1), ...gatewayInterfaceSysctls(GW2)];
  /** The oracle's view of forwarding and both present gateways' sysctls: `sysctl -n` each. */
  const bySysctl = async (): Promise<string[]> => (await run('sysctl', ['-n', ...sysctlKeys.map((s) => s.key)], { netns: ns })).stdout.trim().split('\n');
  /** Everything the sync keeps right, read by processes: forwarding, sysctls, and the gateways' links. */
  const state = async () => ({ sysctls: await bySysctl(), links: await byIp([GW1, GW2, GONE]) });

  beforeAll(async () => {
    spaces = await PrivateNamespaces.create('gw-ifs-', 'host', 'tenant');
    const [host, tenant] = spaces.paths as [string, string];
    ns = host;
    await ip(`link add ${GW1} type veth peer name wl-if01 netns ${tenant}\nlink add ${GW2} type veth peer name nsgif02p\nlink add nsvifup type veth peer name nsvifdn\naddr add 192.0.2.1/24 dev nsvifup\nlink set nsvifup up\nlink set lo up\n`);
    fd = spaces.fd(ns);
  });
  afterAll(async () => {
    await spaces?.destroy();
  });

  it('the addon can read sysctls and links with their addresses', () => {
    expect(hasInterfaceReads(loaded), reason).toBe(true);
  });

  it('rtnlLinkAddrs reads what parseAddrs reads from ip -j addr show, state by state', async () => {
    const steps = [
      'link set lo up',
      `addr add 10.81.0.1/24 dev ${GW1}\nlink set ${GW1} up`,
      `addr add 10.81.0.9/24 dev ${GW1}\naddr add 10.90.0.1/16 dev ${GW1}`,
      // A point-to-point address: `local` is the local end (IFA_LOCAL), not the peer (IFA_ADDRESS).
      `addr add 10.84.0.1 peer 10.84.0.2/32 dev ${GW2}\nlink set ${GW2} up`,
      `addr add 10.85.0.1/24 dev ${GW2} label ${GW2}:x\naddr add 2001:db8::1/64 dev ${GW2} nodad`,
      `link set ${GW1} down\naddr del 10.81.0.1/24 dev ${GW1}`,
      `addr flush dev ${GW1}\naddr flush dev ${GW2}\nlink set ${GW2} down`,
    ];
    for (const step of steps) {
      await ip(`${step}\n`);
      const names = [...(await linkNames()), GONE, 'nosuch0'];
      expect(byRtnl(names), step).toEqual(await byIp(names));
    }
    expect(Object.keys(byRtnl([GONE, GW2, GW1, GW2]))).toEqual([GW2, GW1]);
    expect(byRtnl([])).toEqual({});
  });

  it('rtnlLinkAddrs refuses bad arguments before asking anything', () => {
    const sock = addon.rtnlOpen(fd);
    try {
      expect(() => addon.rtnlLinkAddrs(sock, ['a-name-far-too-long'])).toThrow(/1-15 bytes/);
      expect(() => addon.rtnlLinkAddrs(sock, Array(1025).fill('lo') as string[])).toThrow(/at most 1024/);
      expect(() => addon.rtnlLinkAddrs(sock, 'lo' as unknown as string[])).toThrow(/array/);
      expect(() => addon.rtnlLinkAddrs(-1, ['lo'])).toThrow(expect.objectContaining({ code: 'EBADF' }));
    } finally {
      addon.rtnlClose(sock);
    }
  });

  it('readNetnsFiles reads forwarding and the gateway sysctls as sysctl -n does, state by state', async () => {
    const steps = [
      [],
      ['net.ipv4.ip_forward=1'],
      [`net.ipv4.conf.${GW1}.rp_filter=2`, `net.ipv4.conf.${GW2}.arp_announce=1`, `net.ipv6.conf.${GW2}.disable_ipv6=1`],
      ['net.ipv4.ip_forward=0', `net.ipv4.conf.${GW1}.accept_source_route=1`],
    ];
    for (const step of steps) {
      if (step.length > 0) await sysctlW(...step);
      expect(readSysctls(addon, fd, sysctlKeys), step.join(' ')).toEqual(await bySysctl());
    }
    const [missing] = readSysctls(addon, fd, gatewayInterfaceSysctls(GONE));
    expect(missing).toMatchObject({ code: 'ENOENT' });
  });

  it('a full sync with gateways that finds everything right starts no process on the native path; the process path spawns what it did', async () => {
    const native = new NftGatewayHost({ bridge: 'br-ifs-a', hostNetns: ns, nftables: 'native', onSpawn });
    expect(native.interfacesInProcess).toBe(true);
    spawns.length = 0;
    const first = await native.sync(GWS, true);
    expect(first.changed).toEqual(['table', 'ip_forward', `address ${GW1}`, `up ${GW1}`, `address ${GW2}`, `up ${GW2}`]);
    expect(first.missing).toEqual([GONE]);
    // The table written (nft), the addresses added and links set up (one ip -batch); forwarding and sysctls in-process.
    expect(spawns).toEqual(['nft', 'nft', 'nft', 'ip']);
    const want = await state();
    expect(want.sysctls).toEqual(sysctlKeys.map((s) => s.value));
    expect(want.links).toEqual({ [GW1]: { up: true, addrs: ['10.81.0.1/24'] }, [GW2]: { up: true, addrs: ['10.82.0.1/24'] } });
    for (let i = 0; i < 2; i++) {
      spawns.length = 0;
      expect(await native.sync(GWS, true)).toEqual({ changed: [], missing: [GONE], forwardingTurnedOn: false });
      expect(spawns).toEqual([]);
    }
    // Not a full sync: only the missing gateway is looked for again, without a process too.
    expect(await native.sync(GWS, false)).toEqual({ changed: [], missing: [GONE], forwardingTurnedOn: false });
    expect(spawns).toEqual([]);

    const text = new NftGatewayHost({ bridge: 'br-ifs-a', hostNetns: ns, nftables: 'process', onSpawn });
    expect(text.interfacesInProcess).toBe(false);
    spawns.length = 0;
    expect(await text.sync(GWS, true)).toEqual({ changed: [], missing: [GONE], forwardingTurnedOn: false });
    expect(spawns).toEqual(PROCESS_STEADY);
    expect(await state()).toEqual(want);
  });

  it('each drift made by hand is found and repaired on the native path exactly as on the process path', async () => {
    const native = new NftGatewayHost({ bridge: 'br-ifs-b', hostNetns: ns, nftables: 'native', onSpawn });
    const text = new NftGatewayHost({ bridge: 'br-ifs-b', hostNetns: ns, nftables: 'process', onSpawn });
    await native.sync(GWS, true);
    await native.sync(GWS, true);
    const want = await state();
    // [what, the edit, changed, forwarding turned on, what the native path spawns for it, what the process path spawns]
    const drifts: [string, () => Promise<unknown>, string[], boolean, string[], string[]][] = [
      ['forwarding turned off', () => sysctlW('net.ipv4.ip_forward=0'), ['ip_forward'], true, [], ['nft', 'sysctl', 'sysctl', 'ip', 'sysctl']],
      ['a gateway\'s rp_filter changed', () => sysctlW(`net.ipv4.conf.${GW1}.rp_filter=0`), [], false, [], PROCESS_STEADY],
      ['IPv6 on and redirects sent on the other', () => sysctlW(`net.ipv6.conf.${GW2}.disable_ipv6=0`, `net.ipv4.conf.${GW2}.send_redirects=1`), [], false, [], PROCESS_STEADY],
      ['a gateway\'s own forwarding off', () => sysctlW(`net.ipv4.conf.${GW2}.forwarding=0`), [], false, [], PROCESS_STEADY],
      ['the gateway address deleted', () => ip(`addr del 10.81.0.1/24 dev ${GW1}\n`), [`address ${GW1}`], false, ['ip'], [...PROCESS_STEADY, 'ip']],
      ['a stray address added', () => ip(`addr add 10.81.0.77/24 dev ${GW1}\n`), [`address ${GW1}`], false, ['ip'], [...PROCESS_STEADY, 'ip']],
      ['the interface set down', () => ip(`link set ${GW2} down\n`), [`up ${GW2}`], false, ['ip'], [...PROCESS_STEADY, 'ip']],
    ];
    for (const [what, edit, changed, turnedOn, nativeSpawns, processSpawns] of drifts) {
      const judged = [];
      for (const host of [native, text]) {
        await edit();
        expect(await state(), what).not.toEqual(want);
        spawns.length = 0;
        const r = await host.sync(GWS, true);
        judged.push({ result: r, spawns: [...spawns], state: await state() });
      }
      const [n, t] = judged as [(typeof judged)[0], (typeof judged)[0]];
      expect(n.result, what).toEqual({ changed, missing: [GONE], forwardingTurnedOn: turnedOn });
      expect(t.result, what).toEqual(n.result);
      expect(n.state, what).toEqual(want);
      expect(t.state, what).toEqual(want);
      expect(n.spawns, what).toEqual(nativeSpawns);
      expect(t.spawns, what).toEqual(processSpawns);
      // Repaired: the next full sync on the native path starts no process.
      spawns.length = 0;
      expect((await native.sync(GWS, true)).changed, what).toEqual([]);
      expect(spawns, what).toEqual([]);
    }
  });

  it('auto: an in-process read that cannot run falls back to sysctl and ip with one warning; native: an error, no sysctl or ip', async () => {
    const fail = (): never => {
      throw Object.assign(new Error('enter namespace to read /proc/sys/net/ipv4/ip_forward: Operation not permitted'), { code: 'EPERM', errno: 1 });
    };
    const broken: NativeAddon = Object.create(addon, { readNetnsFiles: { value: fail }, rtnlLinkAddrs: { value: fail } }) as NativeAddon;
    const warnings: string[] = [];
    const logger = { warn: (_o: unknown, msg: string) => void warnings.push(msg), info: () => undefined, debug: () => undefined } as unknown as Logger;
    const auto = new NftGatewayHost({ bridge: 'br-ifs-a', hostNetns: ns, nftables: 'auto', native: broken, logger, onSpawn });
    expect(auto.interfacesInProcess).toBe(true);
    spawns.length = 0;
    expect((await auto.sync(GWS, true)).changed).toEqual([]);
    expect((await auto.sync(GWS, true)).changed).toEqual([]);
    // The first full sync after a start lists the table once (nft); the digest decides after that.
    expect(spawns).toEqual([...PROCESS_STEADY, ...PROCESS_STEADY.slice(1)]);
    expect(warnings).toEqual(['in-process sysctls or rtnetlink failed: sysctl and ip processes used for this call']);

    const strict = new NftGatewayHost({ bridge: 'br-ifs-a', hostNetns: ns, nftables: 'native', native: broken, onSpawn });
    spawns.length = 0;
    await expect(strict.sync(GWS, true)).rejects.toThrow(/failed at "read net\.ipv4\.ip_forward": enter namespace to read .*Operation not permitted/);
    expect(spawns.filter((p) => p !== 'nft')).toEqual([]);
  });

  it('auto: only the step that cannot run goes to its process (links and addresses by ip, sysctls still in-process)', async () => {
    const broken: NativeAddon = Object.create(addon, {
      rtnlLinkAddrs: { value: () => { throw Object.assign(new Error('list addresses of the host: No buffer space available'), { code: 'ENOBUFS', errno: 105 }); } },
    }) as NativeAddon;
    const host = new NftGatewayHost({ bridge: 'br-ifs-a', hostNetns: ns, native: broken, onSpawn });
    await host.sync(GWS, true);
    spawns.length = 0;
    await sysctlW(`net.ipv4.conf.${GW1}.arp_ignore=0`);
    expect(await host.sync(GWS, true)).toEqual({ changed: [], missing: [GONE], forwardingTurnedOn: false });
    expect(spawns).toEqual(['ip']);
    expect((await bySysctl())).toEqual(sysctlKeys.map((s) => s.value));
  });
});
