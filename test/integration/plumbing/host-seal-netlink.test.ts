import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNative } from '../../../src/native/native.js';
import { NftHostGuard } from '../../../src/plumbing/index.js';
import { hasNftables } from '../../../src/plumbing/host-guard/netlink-seal.js';
import { PrivateNetnsDir } from '../../../src/sandbox/private-netns-dir.js';
import { run } from '../../../src/exec/run.js';

/**
 * The host seal written in-process (one nf_tables netlink transaction from the addon) against the
 * same seal written by `nft -f -` (nft-text.ts's script): two private "host" namespaces with the
 * same veths, one guard per path, and `nft -s list table` as the oracle. Then the native seal is
 * shown to drop: frames a workload sends into a sealed host end never reach the host stack,
 * measured where the stack would show them (a counter in its own prerouting hook and the neighbour
 * table, as the security tests do), with the same frames into an unsealed end as the positive control.
 */

const BRIDGE = 'br-sealnl';
const HOST_ENDS = ['nsvaaaa0000001', 'nsvaaaa0000002', 'nsvaaaa0000003'];
const own = (): string => readlinkSync('/proc/thread-self/ns/net');

async function listing(ns: string, table: string): Promise<string> {
  return (await run('nft', ['-s', 'list', 'table', 'netdev', table], { netns: ns, okExitCodes: [1] })).stdout;
}

async function addVeths(ns: string, names: readonly string[]): Promise<void> {
  await run('ip', ['-batch', '-'], { netns: ns, input: names.map((n) => `link add ${n} type veth peer name ${n.replace(/^nsv/, 'wl-')}\n`).join('') });
}

describe('host seal in-process (nf_tables netlink) against nft -f', () => {
  const { addon, reason } = loadNative();
  let base: string;
  let dir: PrivateNetnsDir;
  let nativeNs: string;
  let textNs: string;
  let native: NftHostGuard;
  let text: NftHostGuard;
  const spawns: string[] = [];
  const onSpawn = (p: string): void => void spawns.push(p);

  beforeAll(async () => {
    base = await mkdtemp(join(process.env.NSVS_TEST_ROOT ?? tmpdir(), 'seal-nl-'));
    dir = await PrivateNetnsDir.create(join(base, 'netns'));
    [nativeNs, textNs] = (await dir.add('native-host', 'text-host')) as [string, string];
    await Promise.all([addVeths(nativeNs, HOST_ENDS), addVeths(textNs, HOST_ENDS)]);
    native = new NftHostGuard({ bridge: BRIDGE, hostNetns: nativeNs, ingressDrop: true, nftables: 'native', onSpawn });
    text = new NftHostGuard({ bridge: BRIDGE, hostNetns: textNs, ingressDrop: true, nftables: 'process', onSpawn });
  });
  afterAll(async () => {
    await dir?.destroy();
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('the addon has nf_tables and each guard uses the path it was given', () => {
    expect(hasNftables(addon), reason).toBe(true);
    expect(native.nftInProcess).toBe(true);
    expect(text.nftInProcess).toBe(false);
  });

  it('a seal lists exactly as the nft script\'s seal, table created, with no process', async () => {
    const ownBefore = own();
    spawns.length = 0;
    expect([...(await native.seal(HOST_ENDS))]).toEqual([]);
    expect(spawns).toEqual([]);
    expect(own()).toBe(ownBefore);
    expect([...(await text.seal(HOST_ENDS))]).toEqual([]);
    expect(spawns).toEqual(['nft']);
    const want = await listing(textNs, text.table);
    expect(want).toContain(`chain ${HOST_ENDS[0]} {`);
    expect(await listing(nativeNs, native.table)).toBe(want);
    // Nothing in the agent's own namespace.
    expect((await run('nft', ['list', 'tables', 'netdev'])).stdout).not.toContain(native.table);
  });

  it('sealing again changes nothing, a second seal adds to the existing table, and both still list alike', async () => {
    await Promise.all([addVeths(nativeNs, ['nsvaaaa0000004']), addVeths(textNs, ['nsvaaaa0000004'])]);
    for (const g of [native, text]) {
      expect([...(await g.seal(HOST_ENDS))]).toEqual([]);
      expect([...(await g.seal(['nsvaaaa0000004']))]).toEqual([]);
    }
    expect(await listing(nativeNs, native.table)).toBe(await listing(textNs, text.table));
  });

  it('a table someone made dormant is woken by either seal (the table is sent with flags 0, as `add table` sends it)', async () => {
    for (const [ns, g] of [[nativeNs, native], [textNs, text]] as const) {
      await run('nft', ['add', 'table', 'netdev', g.table, '{ flags dormant; }'], { netns: ns });
      expect(await listing(ns, g.table)).toContain('flags dormant');
      expect([...(await g.seal([HOST_ENDS[0]!]))]).toEqual([]);
    }
    const after = await listing(nativeNs, native.table);
    expect(after).not.toContain('dormant');
    expect(after).toBe(await listing(textNs, text.table));
  });

  it('the full sync (listing in-process, as the nft text reads) finds the native seal intact, with no process', async () => {
    spawns.length = 0;
    expect(await native.sync([...HOST_ENDS, 'nsvaaaa0000004'])).toEqual({ added: 0, removed: 0 });
    expect(spawns).toEqual([]);
    expect(await text.sync([...HOST_ENDS, 'nsvaaaa0000004'])).toEqual({ added: 0, removed: 0 });
    expect(spawns).toEqual(['nft']);
  });

  it('release deletes the chains in-process (chains already gone are fine) and lists as the nft path\'s release', async () => {
    spawns.length = 0;
    await native.release(['nsvaaaa0000002', 'nsvaaaa0000004', 'nsvnotsealed00']);
    await native.release(['nsvaaaa0000002']);
    expect(spawns).toEqual([]);
    await text.release(['nsvaaaa0000002', 'nsvaaaa0000004', 'nsvnotsealed00']);
    const after = await listing(nativeNs, native.table);
    expect(after).not.toContain('nsvaaaa0000002');
    expect(after).toBe(await listing(textNs, text.table));
  });

  it('release flushes a chain someone added a rule to before deleting it', async () => {
    await run('nft', ['add', 'rule', 'netdev', native.table, 'nsvaaaa0000003', 'accept'], { netns: nativeNs });
    await native.release(['nsvaaaa0000003']);
    expect(await listing(nativeNs, native.table)).not.toContain('nsvaaaa0000003');
  });

  it('a refused chain fails only its interface, with the table and interface in a typed error; the others are sealed', async () => {
    // A regular chain of that name is in the way: a base chain cannot replace it (the kernel refuses the message).
    await run('nft', ['add', 'chain', 'netdev', native.table, 'nsvaaaa0000005'], { netns: nativeNs });
    await addVeths(nativeNs, ['nsvaaaa0000005', 'nsvaaaa0000006']);
    const failed = await native.seal(['nsvaaaa0000005', 'nsvaaaa0000006']);
    expect([...failed.keys()]).toEqual(['nsvaaaa0000005']);
    const err = failed.get('nsvaaaa0000005')!;
    expect(err).toMatchObject({ name: 'HostGuardError', table: native.table, hostIfs: ['nsvaaaa0000005'] });
    expect(err.message).toContain(`nftables table netdev ${native.table}`);
    expect(err.message).toContain('nsvaaaa0000005');
    const now = await listing(nativeNs, native.table);
    expect(now).toContain('device "nsvaaaa0000006" priority -500; policy drop;');
  });

  it('removeAll drops the table; a release afterwards is a quiet no-op', async () => {
    await native.removeAll();
    expect(await listing(nativeNs, native.table)).toBe('');
    await native.release(['nsvaaaa0000001']);
    expect(await listing(nativeNs, native.table)).toBe('');
  });
});

describe('a host end sealed in-process drops what a workload sends into it', () => {
  let base: string;
  let dir: PrivateNetnsDir;
  let host: string;
  let sealedWl: string;
  let openWl: string;

  /** Prerouting packets and ARP the host stack took from each host end (an accept-only counter per end). */
  const PROBE = `table inet probe {
  chain pre {
    type filter hook prerouting priority -300; policy accept;
    iifname "nsvsealed00001" counter name "sealed"
    iifname "nsvopen0000001" counter name "open"
  }
  counter sealed { }
  counter open { }
}
table arp probe {
  chain in {
    type filter hook input priority 0; policy accept;
    iifname "nsvsealed00001" counter name "sealed"
    iifname "nsvopen0000001" counter name "open"
  }
  counter sealed { }
  counter open { }
}
`;

  async function counters(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const family of ['inet', 'arp']) {
      const j = JSON.parse((await run('nft', ['-j', 'list', 'counters', 'table', family, 'probe'], { netns: host })).stdout) as { nftables: { counter?: { name: string; packets: number } }[] };
      for (const e of j.nftables) if (e.counter) out[`${family}:${e.counter.name}`] = e.counter.packets;
    }
    return out;
  }

  beforeAll(async () => {
    base = await mkdtemp(join(process.env.NSVS_TEST_ROOT ?? tmpdir(), 'seal-drop-'));
    dir = await PrivateNetnsDir.create(join(base, 'netns'));
    [host, sealedWl, openWl] = (await dir.add('host', 'wl-sealed', 'wl-open')) as [string, string, string];
    // Two host ends with the same setup; the workloads sit behind them with an address in the host's subnet.
    await run('ip', ['-batch', '-'], {
      netns: host,
      input: [
        `link add nsvsealed00001 type veth peer name eth0 netns ${sealedWl}`,
        `link add nsvopen0000001 type veth peer name eth0 netns ${openWl}`,
        'addr add 10.98.1.1/24 dev nsvsealed00001',
        'addr add 10.98.2.1/24 dev nsvopen0000001',
        '',
      ].join('\n'),
    });
    await run('nft', ['-f', '-'], { netns: host, input: PROBE });
    const guard = new NftHostGuard({ bridge: 'br-drop', hostNetns: host, ingressDrop: true, nftables: 'native' });
    expect([...(await guard.seal(['nsvsealed00001']))]).toEqual([]);
    await run('ip', ['-batch', '-'], { netns: host, input: 'link set nsvsealed00001 up\nlink set nsvopen0000001 up\n' });
    for (const [ns, net] of [[sealedWl, '1'], [openWl, '2']] as const) {
      await run('ip', ['-batch', '-'], { netns: ns, input: `link set lo up\naddr add 10.98.${net}.2/24 dev eth0\nlink set eth0 up\n` });
    }
  });
  afterAll(async () => {
    await dir?.destroy();
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('ping and ARP from behind the sealed end never reach the host stack; the same from behind an open end do (control)', async () => {
    const [sealed, open] = await Promise.all([
      run('ping', ['-c', '3', '-i', '0.2', '-W', '1', '10.98.1.1'], { netns: sealedWl, okExitCodes: [1] }),
      run('ping', ['-c', '3', '-i', '0.2', '-W', '1', '10.98.2.1'], { netns: openWl, okExitCodes: [1] }),
    ]);
    expect(open.exitCode).toBe(0);
    expect(sealed.exitCode).toBe(1);
    const c = await counters();
    expect(c['inet:open']).toBeGreaterThan(0);
    expect(c['arp:open']).toBeGreaterThan(0);
    expect(c['inet:sealed']).toBe(0);
    expect(c['arp:sealed']).toBe(0);
    // The host learnt the open end's workload as a neighbour, never the sealed one's.
    const neigh = (await run('ip', ['neigh', 'show'], { netns: host })).stdout;
    expect(neigh).toContain('10.98.2.2');
    expect(neigh).not.toMatch(/10\.98\.1\.2 .*lladdr/);
  });

  it('frames still arrive on the sealed end (the packet tap, where OVS reads them, is before the drop)', async () => {
    const before = JSON.parse((await run('ip', ['-j', '-s', 'link', 'show', 'dev', 'nsvsealed00001'], { netns: host })).stdout) as { stats64: { rx: { packets: number } } }[];
    await run('ping', ['-c', '2', '-i', '0.2', '-W', '1', '10.98.1.1'], { netns: sealedWl, okExitCodes: [1] });
    const after = JSON.parse((await run('ip', ['-j', '-s', 'link', 'show', 'dev', 'nsvsealed00001'], { netns: host })).stdout) as { stats64: { rx: { packets: number } } }[];
    expect(after[0]!.stats64.rx.packets).toBeGreaterThan(before[0]!.stats64.rx.packets);
    expect((await counters())['inet:sealed']).toBe(0);
  });
});
