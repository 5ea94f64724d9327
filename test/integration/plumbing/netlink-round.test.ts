import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHook } from 'node:async_hooks';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostIfName, macFor, peerTmpName, HOST_IF_PREFIX } from '../../../src/core/names.js';
import { loadNative, type NativeAddon } from '../../../src/native/native.js';
import { NETLINK_SLICE_MS } from '../../../src/plumbing/netlink-plumbing.js';
import { NamespaceGoneError, NetlinkPlumbing, NftHostGuard, TxChecksumOffload, hasNetlink, type PlugSpec } from '../../../src/plumbing/index.js';
import { PrivateNetnsDir } from '../../../src/sandbox/private-netns-dir.js';

/** The addon with its calls counted (and, for some tests, one of them made slow). */
function counted(addon: NativeAddon, slowMs = 0, slowCall = 'rtnlCreateVeth'): { native: NativeAddon; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const native: Record<string, unknown> = {};
  for (const name of Object.getOwnPropertyNames(addon)) {
    const f = (addon as unknown as Record<string, unknown>)[name];
    if (typeof f !== 'function') continue;
    native[name] = (...args: unknown[]) => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      if (slowMs > 0 && name === slowCall) for (const end = performance.now() + slowMs; performance.now() < end;);
      return (f as (...a: unknown[]) => unknown)(...args);
    };
  }
  return { native: native as unknown as NativeAddon, calls };
}

/** Turns of the event loop while `p` runs (a setImmediate chain counts them). */
async function turnsDuring<T>(p: () => Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let on = true;
  const tick = (): void => {
    if (!on) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  try {
    return { value: await p(), turns };
  } finally {
    on = false;
  }
}

describe('netlink plumbing: one round, few trips (real kernel, private host namespace)', () => {
  const { addon, reason } = loadNative();
  let base: string;
  let dir: PrivateNetnsDir;
  let hostNetns: string;
  let n = 0;

  async function specs(...names: string[]): Promise<PlugSpec[]> {
    const paths = await dir.add(...names);
    return Promise.all(paths.map(async (nsPath) => {
      const inode = (await stat(nsPath)).ino;
      const key = `${nsPath}#${inode}`;
      n++;
      return { key, nsPath, inode, hostIf: hostIfName(key), peerTmp: peerTmpName(key), ifName: 'eth0', mac: macFor(key), ip: `10.30.0.${n + 1}`, prefixLen: 24, mtu: 1500, gateway: '10.30.0.1' };
    }));
  }

  beforeAll(async () => {
    if (!hasNetlink(addon)) throw new Error(`native addon without rtnetlink: ${reason}`);
    base = await mkdtemp(join(process.env.NSVS_TEST_ROOT ?? tmpdir(), 'nlround-'));
    dir = await PrivateNetnsDir.create(join(base, 'netns'));
    [hostNetns] = (await dir.add('host')) as [string];
  });
  afterAll(async () => {
    await dir?.destroy();
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('opens one host route socket per plug call (veths, host ends up and rollback share it) and closes it', async () => {
    const { native, calls } = counted(addon as NativeAddon);
    const s = await specs('sock-a', 'sock-b', 'sock-c');
    let first = true;
    const plumbing = new NetlinkPlumbing(native, {
      hostNetns,
      // sock-b goes away as it is configured: its veth is rolled back (deleted) in the same call.
      beforeConfigure: (key) => {
        if (key !== s[1]!.key || !first) return;
        first = false;
        execFileSync('umount', ['-l', s[1]!.nsPath]);
        rmSync(s[1]!.nsPath);
      },
    });
    const results = await plumbing.plug(s);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect((results[1] as { error: Error }).error).toBeInstanceOf(NamespaceGoneError);
    expect(calls.get('rtnlCreateVeth')).toBe(3);
    expect(calls.get('rtnlHostUp')).toBe(3);
    expect(calls.get('rtnlDeleteLink')).toBe(1);
    expect(calls.get('rtnlOpen')).toBe(1);
    expect(calls.get('rtnlClose')).toBe(1);
    const links = await plumbing.listHostLinks(HOST_IF_PREFIX);
    expect([...links.keys()].sort()).toEqual([s[0]!.hostIf, s[2]!.hostIf].sort());
    // Outside a plug call each call has its own socket again.
    expect(calls.get('rtnlOpen')).toBe(2);
    expect(calls.get('rtnlClose')).toBe(2);
    await plumbing.unplug([s[0]!.hostIf, s[2]!.hostIf]);
    expect(calls.get('rtnlOpen')).toBe(calls.get('rtnlClose'));
  });

  it('keeps the shared host socket open for a call still using it when the plug call ends', async () => {
    const plain = new NetlinkPlumbing(addon as NativeAddon, { hostNetns });
    const old = await specs('share-b', 'share-c', 'share-d', 'share-e', 'share-f', 'share-g');
    expect((await plain.plug(old)).every((r) => r.ok)).toBe(true);
    // Deleting is slow here: the unplug yields between links (slices), and the plug ends meanwhile.
    const { native, calls } = counted(addon as NativeAddon, 3, 'rtnlDeleteLink');
    const plumbing = new NetlinkPlumbing(native, { hostNetns });
    const [a] = await specs('share-a');
    const order: string[] = [];
    const plugging = plumbing.plug([a!]).finally(() => order.push('plug'));
    const unplugging = plumbing.unplug(old.map((s) => s.hostIf)).finally(() => order.push('unplug'));
    expect(await plugging).toEqual([{ key: a!.key, ok: true }]);
    await unplugging;
    // The case this is about: the plug call ended while the unplug was still deleting over the shared socket.
    expect(order).toEqual(['plug', 'unplug']);
    expect([...(await plumbing.listHostLinks(HOST_IF_PREFIX)).keys()]).toEqual([a!.hostIf]);
    expect(calls.get('rtnlOpen')).toBe(calls.get('rtnlClose'));
    await plumbing.unplug([a!.hostIf]);
  });

  it('plugs one namespace, sealed and offloaded as the agent does, without a thread-pool round trip or a needless turn of the event loop', async () => {
    const native = addon as NativeAddon;
    const guard = new NftHostGuard({ bridge: 'br-round', hostNetns, ingressDrop: true, native });
    expect(guard.nftInProcess).toBe(true);
    const plumbing = new NetlinkPlumbing(native, { hostNetns, guard, offload: new TxChecksumOffload({ native }) });
    const [s] = await specs('turns-a');
    // Every asynchronous resource made while it runs: fs requests (FSREQ*, FILEHANDLE*) are thread-pool round trips.
    const made: string[] = [];
    const hook = createHook({ init: (_id, type) => made.push(type) });
    hook.enable();
    const started = performance.now();
    let elapsed: number;
    let result: { value: unknown; turns: number };
    try {
      result = await turnsDuring(() => plumbing.plug([s!]));
    } finally {
      elapsed = performance.now() - started;
      hook.disable();
    }
    expect(result.value).toEqual([{ key: s!.key, ok: true }]);
    expect(made.filter((t) => /^(FSREQ|FILEHANDLE|STATWATCHER)/.test(t))).toEqual([]);
    // A turn only when the round really held the loop for a slice (a loaded machine): none otherwise.
    if (elapsed < NETLINK_SLICE_MS) expect(result.turns).toBe(0);
    await plumbing.unplug([s!.hostIf]);
  });

  it('still gives the event loop turns in a burst that holds it longer than a slice', async () => {
    const { native } = counted(addon as NativeAddon, 3);
    const plumbing = new NetlinkPlumbing(native, { hostNetns });
    const s = await specs('slow-a', 'slow-b', 'slow-c', 'slow-d');
    const { value, turns } = await turnsDuring(() => plumbing.plug(s));
    expect(value.every((r) => r.ok)).toBe(true);
    expect(turns).toBeGreaterThan(0);
    await plumbing.unplug(s.map((x) => x.hostIf));
  });
});
