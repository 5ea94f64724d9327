import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readlinkSync, rmSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { OvsSandbox } from '../../../src/sandbox/ovs-sandbox.js';
import { run } from '../../../src/exec/run.js';
import { hostIfName, macFor, peerTmpName, HOST_IF_PREFIX } from '../../../src/core/names.js';
import {
  HostInterfaceExistsError,
  InterfaceNameTakenError,
  InvalidPlugSpecError,
  IpPlumbing,
  NamespaceGoneError,
  NetlinkPlumbing,
  NftHostGuard,
  hasNetlink,
  type NetlinkPlumbingOptions,
  type PlugSpec,
} from '../../../src/plumbing/index.js';
import { loadNative } from '../../../src/native/native.js';
import { Metrics } from '../../../src/observe/metrics.js';

interface IpAddrJson {
  ifname: string;
  address: string;
  mtu: number;
  flags: string[];
  addr_info: { family: string; local: string; prefixlen: number }[];
}
interface IpRouteJson {
  dst: string;
  gateway?: string;
  dev: string;
}

/** What the kernel says is inside a namespace (read with real `ip -j`, by path). */
async function inside(nsPath: string): Promise<{ links: Map<string, IpAddrJson>; routes: IpRouteJson[] }> {
  const addr = JSON.parse((await run('ip', ['-j', 'addr', 'show'], { netns: nsPath })).stdout) as IpAddrJson[];
  const routes = JSON.parse((await run('ip', ['-j', 'route', 'show'], { netns: nsPath })).stdout) as IpRouteJson[];
  return { links: new Map(addr.map((l) => [l.ifname, l])), routes };
}

/** IPv4 addresses of a link (the kernel adds an IPv6 link-local of its own). */
function inet4(link: IpAddrJson | undefined): string[] {
  return (link?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => a.local);
}

/** Both plumbing paths: `ip`/`nsenter` processes, and in-process rtnetlink through the native addon. */
const PATHS = [
  {
    path: 'process',
    make: (o: NetlinkPlumbingOptions): IpPlumbing => new IpPlumbing(o),
    /** Options that run `fn` just as a namespace's own configuration step starts. */
    beforeConfigure: (fn: () => void): NetlinkPlumbingOptions => ({ onSpawn: (p) => p === 'nsenter' && fn() }),
  },
  {
    path: 'netlink',
    make: (o: NetlinkPlumbingOptions): IpPlumbing => {
      const { addon, reason } = loadNative();
      if (!hasNetlink(addon)) throw new Error(`native addon without rtnetlink: ${reason}`);
      return new NetlinkPlumbing(addon, o);
    },
    beforeConfigure: (fn: () => void): NetlinkPlumbingOptions => ({ beforeConfigure: () => fn() }),
  },
] as const;

describe.each(PATHS)('plumbing on the $path path (real kernel, private host namespace)', ({ path, make, beforeConfigure }) => {
  const native = path === 'netlink';
  let sb: OvsSandbox;
  let plumbing: IpPlumbing;
  const spawns: string[] = [];
  let n = 0;

  /** A spec for a namespace file, named the way the reconciler names it (from path#inode). */
  async function specFor(nsPath: string, over: Partial<PlugSpec> = {}): Promise<PlugSpec & { ip: string; prefixLen: number }> {
    const inode = (await stat(nsPath)).ino;
    const key = `${nsPath}#${inode}`;
    n++;
    return {
      key, nsPath, inode, hostIf: hostIfName(key), peerTmp: peerTmpName(key), ifName: 'eth0', mac: macFor(key),
      ip: `10.20.0.${n + 1}`, prefixLen: 24, mtu: 1400, gateway: '10.20.0.1', ...over,
    };
  }

  async function hostLinkNames(): Promise<string[]> {
    return [...(await plumbing.listHostLinks(HOST_IF_PREFIX)).keys()];
  }

  beforeAll(async () => {
    sb = await OvsSandbox.start({ label: `plumbing-${path}` });
    plumbing = make({ hostNetns: sb.hostNetns, onSpawn: (p) => spawns.push(p) });
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it(native ? 'plugs 3 namespaces without any process, configured as specified' : 'plugs 3 namespaces with two host processes and one process per namespace, configured as specified', async () => {
    const paths = await sb.netnsDir.add('ok-a', 'ok-b', 'ok-c');
    const specs = await Promise.all(paths.map((p, i) => specFor(p, i === 2 ? { gateway: undefined, ifName: 'net1', mtu: 9000 } : {})));
    spawns.length = 0;
    const results = await plumbing.plug(specs);
    expect(results).toEqual(specs.map((s) => ({ key: s.key, ok: true })));
    // Process path: one host batch creates the veths, one brings the (sealed) host ends up; offloads go in-process.
    expect(spawns.sort()).toEqual(native ? [] : ['ip', 'ip', 'nsenter', 'nsenter', 'nsenter']);

    for (const s of specs) {
      const { links, routes } = await inside(s.nsPath);
      const dev = links.get(s.ifName);
      expect(dev, `${s.ifName} in ${s.nsPath}`).toBeDefined();
      expect(dev?.address).toBe(s.mac);
      expect(dev?.mtu).toBe(s.mtu);
      expect(dev?.flags).toContain('UP');
      expect(dev?.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`)).toEqual([`${s.ip}/${s.prefixLen}`]);
      expect(links.get('lo')?.flags).toContain('UP');
      expect(links.has(s.peerTmp)).toBe(false);
      const def = routes.find((r) => r.dst === 'default');
      if (s.gateway) expect(def).toMatchObject({ gateway: s.gateway, dev: s.ifName });
      else expect(def).toBeUndefined();
    }
    const host = await plumbing.listHostLinks(HOST_IF_PREFIX);
    for (const s of specs) expect(host.get(s.hostIf)).toMatchObject({ name: s.hostIf, mtu: s.mtu, up: true });
    // Host ends carry no IPv6 address: the host stack stays out of the tenants' L2.
    for (const s of specs) expect((await sb.inHost('ip', ['-6', 'addr', 'show', 'dev', s.hostIf])).stdout.trim()).toBe('');
  });

  it('plugs a burst bigger than one round in several rounds, results in order', async () => {
    const paths = await sb.netnsDir.add('round-1', 'round-2', 'round-3', 'round-4', 'round-5');
    const specs = await Promise.all(paths.map((p) => specFor(p)));
    const seen: string[] = [];
    const rounds = make({ hostNetns: sb.hostNetns, maxPinned: 2, concurrency: 2, onSpawn: (p) => seen.push(p) });
    const results = await rounds.plug(specs);
    expect(results).toEqual(specs.map((s) => ({ key: s.key, ok: true })));
    // Process path: two host processes per round, one per namespace.
    expect(seen.filter((p) => p === 'ip')).toHaveLength(native ? 0 : 6);
    expect(seen.filter((p) => p === 'nsenter')).toHaveLength(native ? 0 : 5);
    for (const s of specs) expect(inet4((await inside(s.nsPath)).links.get('eth0'))).toEqual([s.ip]);
  });

  it('reports a missing namespace, plugs the others, and leaves no host veth for it', async () => {
    const paths = await sb.netnsDir.add('miss-a', 'miss-b', 'miss-c');
    const specs = await Promise.all(paths.map((p) => specFor(p)));
    await sb.netnsDir.remove('miss-b');
    const results = await plumbing.plug(specs);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    const err = (results[1] as { error: Error }).error;
    expect(err).toBeInstanceOf(NamespaceGoneError);
    expect(err.message).toContain(specs[1]!.nsPath);
    expect(err.message).toContain(specs[1]!.hostIf);
    expect(err.message).toMatch(/no such file/);
    const host = await hostLinkNames();
    expect(host).toContain(specs[0]!.hostIf);
    expect(host).toContain(specs[2]!.hostIf);
    expect(host).not.toContain(specs[1]!.hostIf);
  });

  it('leaves nothing when a namespace vanishes after its veth was created', async () => {
    const paths = await sb.netnsDir.add('gone-a', 'gone-b');
    const specs = await Promise.all(paths.map((p) => specFor(p)));
    let first = true;
    // Deletes gone-a the way `ip netns del` does, just as its per-namespace step starts.
    const racing = make({
      hostNetns: sb.hostNetns,
      concurrency: 1,
      ...beforeConfigure(() => {
        if (!first) return;
        first = false;
        execFileSync('umount', ['-l', specs[0]!.nsPath]);
        rmSync(specs[0]!.nsPath);
      }),
    });
    const results = await racing.plug(specs);
    expect(first).toBe(false);
    expect(results[0]).toMatchObject({ ok: false });
    expect((results[0] as { error: Error }).error).toBeInstanceOf(NamespaceGoneError);
    expect((results[0] as { error: Error }).error.message).toMatch(/removed while being plugged/);
    expect(results[1]).toEqual({ key: specs[1]!.key, ok: true });
    const host = await hostLinkNames();
    expect(host).not.toContain(specs[0]!.hostIf);
    expect(host).toContain(specs[1]!.hostIf);
  });

  it('refuses a namespace re-created at the same path (different inode)', async () => {
    const [p] = await sb.netnsDir.add('reborn');
    const old = await specFor(p!);
    // Hold the old namespace alive: the kernel reuses a freed nsfs inode number, and the new
    // namespace could otherwise come back with the very inode this test says it must not have.
    const keep = await open(p!, 'r');
    await sb.netnsDir.remove('reborn');
    await sb.netnsDir.add('reborn');
    expect((await stat(p!)).ino).not.toBe(old.inode);
    const [r] = await plumbing.plug([old]).finally(() => keep.close());
    expect(r?.ok).toBe(false);
    expect((r as { error: Error }).error).toBeInstanceOf(NamespaceGoneError);
    expect((r as { error: Error }).error.message).toMatch(/replaced by another namespace/);
    expect(await hostLinkNames()).not.toContain(old.hostIf);
  });

  it('refuses a file that is not a mounted namespace', async () => {
    const p = await sb.netnsDir.addPlainFile('plain');
    const [r] = await plumbing.plug([await specFor(p, { inode: undefined })]);
    expect((r as { error: Error }).error.message).toMatch(/not a mounted namespace/);
  });

  it('fails clearly when the interface name is already taken in the namespace, and touches nothing there', async () => {
    const [p] = await sb.netnsDir.add('taken');
    await run('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'other0'], { netns: p! });
    const s = await specFor(p!);
    const [r] = await plumbing.plug([s]);
    const err = (r as { error: Error }).error;
    expect(err).toBeInstanceOf(InterfaceNameTakenError);
    expect((err as InterfaceNameTakenError).kind).toBe('ifname-taken');
    expect(err.message).toBe(`interface name eth0 already taken in namespace ${p!} (host interface ${s.hostIf} removed)`);
    expect(await hostLinkNames()).not.toContain(s.hostIf);
    const { links } = await inside(p!);
    expect(links.get('eth0')).toBeDefined();
    expect(inet4(links.get('eth0'))).toEqual([]);
    expect(links.has(s.peerTmp)).toBe(false);
  });

  it('fails clearly on a second plug of a plugged namespace and leaves the working port alone', async () => {
    const [p] = await sb.netnsDir.add('twice');
    const s = await specFor(p!);
    expect((await plumbing.plug([s]))[0]?.ok).toBe(true);
    const [r] = await plumbing.plug([s]);
    expect((r as { error: Error }).error).toBeInstanceOf(HostInterfaceExistsError);
    expect(await hostLinkNames()).toContain(s.hostIf);
    expect(inet4((await inside(p!)).links.get('eth0'))).toEqual([s.ip]);
  });

  it('refuses invalid specs without spawning anything', async () => {
    const [p] = await sb.netnsDir.add('invalid');
    const s = await specFor(p!, { ifName: 'eth0\nlink del lo' });
    spawns.length = 0;
    const [r] = await plumbing.plug([s]);
    expect((r as { error: Error }).error).toBeInstanceOf(InvalidPlugSpecError);
    expect(spawns).toEqual([]);
  });

  it('plugs namespaces with hostile file names (spaces, quotes, unicode, dashes, $(...), newlines)', async () => {
    const names = ['sp ace', `quo"te's`, 'ünï€ødé', '-leading-dash', '--net=x', '$(touch pwned)', '#hash', 'back\\slash', 'new\nline'];
    const paths = await sb.netnsDir.add(...names);
    const specs = await Promise.all(paths.map((p) => specFor(p)));
    const results = await plumbing.plug(specs);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    for (const s of specs) {
      const { links } = await inside(s.nsPath);
      expect(inet4(links.get('eth0')), s.nsPath).toEqual([s.ip]);
    }
    expect(existsSync(join(process.cwd(), 'pwned'))).toBe(false);
    expect(existsSync(join(sb.netnsDir.dir, 'pwned'))).toBe(false);
  });

  it('unplug removes host veths (the namespace end goes too); missing ones are fine', async () => {
    const paths = await sb.netnsDir.add('un-a', 'un-b');
    const specs = await Promise.all(paths.map((p) => specFor(p)));
    expect((await plumbing.plug(specs)).every((r) => r.ok)).toBe(true);
    spawns.length = 0;
    await plumbing.unplug([...specs.map((s) => s.hostIf), 'nsvnotthere0000']);
    expect(spawns).toEqual(native ? [] : ['ip']);
    const host = await hostLinkNames();
    for (const s of specs) {
      expect(host).not.toContain(s.hostIf);
      expect((await inside(s.nsPath)).links.has('eth0')).toBe(false);
    }
    await expect(plumbing.unplug([])).resolves.toBeUndefined();
  });

  it('passes real packets between two plugged namespaces through an OVS bridge', async () => {
    await sb.addBridge('br-plumb');
    await sb.ofctl('add-flow', 'br-plumb', 'actions=NORMAL');
    const paths = await sb.netnsDir.add('ping-a', 'ping-b');
    const specs = await Promise.all(paths.map((p, i) => specFor(p, { ip: `10.30.0.${i + 2}`, gateway: '10.30.0.1' })));
    expect((await plumbing.plug(specs)).every((r) => r.ok)).toBe(true);
    for (const s of specs) await sb.vsctl('add-port', 'br-plumb', s.hostIf);
    const ping = await run('ping', ['-c', '1', '-W', '5', specs[1]!.ip], { netns: specs[0]!.nsPath });
    expect(ping.stdout).toContain('1 received');
  });

  it(native ? 'plugs a burst sealed and offloaded as the agent does with 0 ip and 0 nsenter spawns (nsvswitch_process_spawns_total)' : 'counts the ip and nsenter spawns of a sealed, offloaded burst (nsvswitch_process_spawns_total: the counter the native path must keep at 0)', async () => {
    const names = Array.from({ length: 24 }, (_, i) => `burst-${i}`);
    const paths = await sb.netnsDir.add(...names);
    const specs = await Promise.all(paths.map((p) => specFor(p)));
    const metrics = new Metrics();
    const onSpawn = (program: string): void => metrics.processSpawns.inc({ program });
    const guard = new NftHostGuard({ bridge: 'br-burst', hostNetns: sb.hostNetns, ingressDrop: true, onSpawn });
    const agentLike = make({ hostNetns: sb.hostNetns, guard, onSpawn });
    const ownNs = readlinkSync('/proc/thread-self/ns/net');
    expect((await agentLike.plug(specs)).filter((r) => !r.ok)).toEqual([]);
    await agentLike.unplug(specs.slice(0, 4).map((s) => s.hostIf));
    const spawned = new Map((await metrics.processSpawns.get()).values.map((v) => [v.labels.program, v.value]));
    if (native) {
      expect(spawned.get('ip') ?? 0).toBe(0);
      expect(spawned.get('nsenter') ?? 0).toBe(0);
    } else {
      // The process path: host batches, and one nsenter per namespace (the control for the native zero).
      expect(spawned.get('ip') ?? 0).toBeGreaterThan(0);
      expect(spawned.get('nsenter') ?? 0).toBeGreaterThanOrEqual(names.length);
    }
    expect(readlinkSync('/proc/thread-self/ns/net')).toBe(ownNs);
    for (const s of specs.slice(4)) expect(inet4((await inside(s.nsPath)).links.get('eth0')), s.nsPath).toEqual([s.ip]);
    await guard.removeAll();
  });

  it('leaves the agent thread in its own namespace after every kind of failure', async () => {
    const ownNs = readlinkSync('/proc/thread-self/ns/net');
    const [taken, gone] = await sb.netnsDir.add('thread-taken', 'thread-gone');
    await run('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'other0'], { netns: taken! });
    const specs = [await specFor(taken!), await specFor(gone!)];
    await sb.netnsDir.remove('thread-gone');
    const results = await plumbing.plug(specs);
    expect((results[0] as { error: Error }).error).toBeInstanceOf(InterfaceNameTakenError);
    expect((results[1] as { error: Error }).error).toBeInstanceOf(NamespaceGoneError);
    expect(readlinkSync('/proc/thread-self/ns/net')).toBe(ownNs);
  });
});
