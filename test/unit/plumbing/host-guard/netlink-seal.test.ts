import { describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NativeAddon, NativeNftFailure } from '../../../../src/native/native.js';
import { HostGuardError, NativePlumbingUnavailableError, NftHostGuard } from '../../../../src/plumbing/index.js';
import { addSealChains, deleteSealChains, hasGuardListing, hasNftables, replaceSealChains } from '../../../../src/plumbing/host-guard/netlink-seal.js';
import { INGRESS_PRIORITY } from '../../../../src/plumbing/host-guard/nft-text.js';

function refusal(ifname: string | null, op: string, code: string, reason = 'refused'): NativeNftFailure {
  return Object.assign(new Error(`${op} ${ifname ?? '(table)'}: ${reason}`), { ifname, op, code, errno: 1, reason });
}

/** An addon whose nf_tables answers come from `answer`, recording every transaction it was asked for. */
function fakeAddon(answer: (add: readonly string[], remove: readonly string[]) => NativeNftFailure[]) {
  const calls: { add: string[]; remove: string[]; priority: number; fd: number; table: string }[] = [];
  const addon = {
    nftNetdevChains(fd: number, table: string, add: readonly string[], remove: readonly string[], priority: number) {
      calls.push({ fd, table, add: [...add], remove: [...remove], priority });
      return answer(add, remove);
    },
  } as unknown as NativeAddon;
  return { addon, calls };
}

describe('addSealChains (the seal as one nf_tables transaction)', () => {
  it('sends every name in one transaction at the seal\'s priority; nothing refused, nothing failed', () => {
    const { addon, calls } = fakeAddon(() => []);
    expect(addSealChains(addon, 7, 'nsvswitch_br0', ['nsva', 'nsvb'])).toEqual(new Map());
    expect(calls).toEqual([{ fd: 7, table: 'nsvswitch_br0', add: ['nsva', 'nsvb'], remove: [], priority: INGRESS_PRIORITY }]);
  });

  it('a refused chain aborts the transaction: that name fails with the table and interface, the others are sent again', () => {
    const { addon, calls } = fakeAddon((add) => (add.includes('nsvb') ? [refusal('nsvb', 'add chain', 'EBUSY', 'Device or resource busy')] : []));
    const failed = addSealChains(addon, -1, 'nsvswitch_br0', ['nsva', 'nsvb', 'nsvc']);
    expect([...failed.keys()]).toEqual(['nsvb']);
    const err = failed.get('nsvb') as HostGuardError;
    expect(err).toBeInstanceOf(HostGuardError);
    expect(err).toMatchObject({ table: 'nsvswitch_br0', hostIfs: ['nsvb'] });
    expect(err.message).toBe('sealing host interfaces [nsvb] (nftables table netdev nsvswitch_br0) failed at "nf_tables add chain": Device or resource busy (EBUSY)');
    expect(calls.map((c) => c.add)).toEqual([['nsva', 'nsvb', 'nsvc'], ['nsva', 'nsvc']]);
  });

  it('a refused table or batch fails every name, without retrying', () => {
    const { addon, calls } = fakeAddon(() => [refusal(null, 'add table', 'EPERM')]);
    const failed = addSealChains(addon, -1, 'nsvswitch_br0', ['nsva', 'nsvb']);
    expect([...failed.keys()]).toEqual(['nsva', 'nsvb']);
    expect(failed.get('nsva')!.message).toContain('"nf_tables add table"');
    expect(calls).toHaveLength(1);
  });

  it('gives up after a bounded number of transactions and fails what is left', () => {
    let n = 0;
    const { addon, calls } = fakeAddon((add) => [refusal(add[0]!, 'add chain', `E${n++}`)]);
    const names = Array.from({ length: 10 }, (_, i) => `nsv${i}`);
    const failed = addSealChains(addon, -1, 'nsvswitch_br0', names);
    expect(failed.size).toBe(10);
    expect(calls.length).toBeLessThanOrEqual(4);
  });

  it('splits very large calls into transactions of at most 512 names', () => {
    const { addon, calls } = fakeAddon(() => []);
    addSealChains(addon, -1, 'nsvswitch_br0', Array.from({ length: 1100 }, (_, i) => `nsv${i}`));
    expect(calls.map((c) => c.add.length)).toEqual([512, 512, 76]);
  });

  it('refuses unsafe interface names before anything reaches the kernel', () => {
    const { addon, calls } = fakeAddon(() => []);
    expect(() => addSealChains(addon, -1, 'nsvswitch_br0', ['ok0', 'bad"name'])).toThrow(HostGuardError);
    expect(() => addSealChains(addon, -1, 'nsvswitch_br0', ['a'.repeat(16)])).toThrow(/not a valid interface name/);
    expect(calls).toEqual([]);
  });
});

describe('deleteSealChains', () => {
  it('chains (or the table) already gone are fine: those names are dropped and the rest deleted', () => {
    const { addon, calls } = fakeAddon((_add, remove) => (remove.includes('nsvgone') ? [refusal('nsvgone', 'flush chain', 'ENOENT'), refusal('nsvgone', 'delete chain', 'ENOENT')] : []));
    deleteSealChains(addon, -1, 'nsvswitch_br0', ['nsva', 'nsvgone']);
    expect(calls.map((c) => c.remove)).toEqual([['nsva', 'nsvgone'], ['nsva']]);
  });

  it('any other refusal throws a HostGuardError naming the interface', () => {
    const { addon } = fakeAddon(() => [refusal('nsva', 'delete chain', 'EBUSY')]);
    expect(() => deleteSealChains(addon, -1, 'nsvswitch_br0', ['nsva'])).toThrow(expect.objectContaining({ name: 'HostGuardError', hostIfs: ['nsva'], table: 'nsvswitch_br0' }));
  });
});

describe('replaceSealChains (the full sync\'s repair as nf_tables transactions)', () => {
  it('deletions and additions in one transaction, as the nft script does them', () => {
    const { addon, calls } = fakeAddon(() => []);
    replaceSealChains(addon, 3, 'nsvswitch_br0', ['nsva', 'nsvb'], ['nsvb', 'nsvstale']);
    expect(calls).toEqual([{ fd: 3, table: 'nsvswitch_br0', add: ['nsva', 'nsvb'], remove: ['nsvb', 'nsvstale'], priority: INGRESS_PRIORITY }]);
  });

  it('beyond 512 names a tampered chain is still deleted and added in the same transaction', () => {
    const { addon, calls } = fakeAddon(() => []);
    const remove = Array.from({ length: 600 }, (_, i) => `nsvr${i}`);
    const add = ['nsvr5', 'nsvr550', ...Array.from({ length: 700 }, (_, i) => `nsva${i}`)];
    replaceSealChains(addon, -1, 'nsvswitch_br0', add, remove);
    expect(calls.map((c) => [c.add.length, c.remove.length])).toEqual([[1, 512], [1, 88], [512, 0], [188, 0]]);
    expect(calls[0]!.add).toEqual(['nsvr5']);
    expect(calls[1]!.add).toEqual(['nsvr550']);
    expect(calls.every((c) => c.add.length + c.remove.length <= 1024)).toBe(true);
  });

  it('a refusal throws a HostGuardError naming the refused interfaces', () => {
    const { addon } = fakeAddon(() => [refusal('nsvb', 'add chain', 'EBUSY', 'Device or resource busy')]);
    expect(() => replaceSealChains(addon, -1, 'nsvswitch_br0', ['nsva', 'nsvb'], [])).toThrow(expect.objectContaining({ name: 'HostGuardError', hostIfs: ['nsvb'], table: 'nsvswitch_br0' }));
  });

  it('refuses unsafe names before anything reaches the kernel', () => {
    const { addon, calls } = fakeAddon(() => []);
    expect(() => replaceSealChains(addon, -1, 'nsvswitch_br0', [], ['bad name'])).toThrow(HostGuardError);
    expect(calls).toEqual([]);
  });
});

describe('NftHostGuard: which path seals (the agent\'s plumbing mode)', () => {
  const withNft = fakeAddon(() => []).addon;
  const withoutNft = { setTxChecksum: () => undefined } as unknown as NativeAddon;
  const base = { bridge: 'br0', ingressDrop: true };

  it('auto: in-process when the addon has nf_tables, else nft processes', () => {
    expect(hasNftables(withNft)).toBe(true);
    // An addon built before the in-process listing: seals in-process, the full sync lists with nft.
    expect(hasGuardListing(withNft)).toBe(false);
    expect(hasGuardListing({ ...withNft, nftGuardTable: () => ({ sealed: [], other: [], tableChanged: false }) } as NativeAddon)).toBe(true);
    expect(new NftHostGuard({ ...base, native: withNft }).nftInProcess).toBe(true);
    expect(new NftHostGuard({ ...base, native: withoutNft }).nftInProcess).toBe(false);
    expect(new NftHostGuard({ ...base, native: null }).nftInProcess).toBe(false);
  });

  it('process: always nft, even with the addon', () => {
    expect(new NftHostGuard({ ...base, native: withNft, nftables: 'process' }).nftInProcess).toBe(false);
  });

  it('native: refuses to start without nf_tables in the addon', () => {
    expect(new NftHostGuard({ ...base, native: withNft, nftables: 'native' }).nftInProcess).toBe(true);
    expect(() => new NftHostGuard({ ...base, native: withoutNft, nftables: 'native' })).toThrow(NativePlumbingUnavailableError);
    expect(() => new NftHostGuard({ ...base, native: withoutNft, nftables: 'native' })).toThrow(/without nf_tables/);
    // No ingress drop (the kernel datapath): nothing to refuse.
    expect(() => new NftHostGuard({ ...base, ingressDrop: false, native: withoutNft, nftables: 'native' })).not.toThrow();
  });

  it('a transaction that cannot run at all: native fails every name with a typed error; auto runs nft for that call', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'seal-unit-'));
    try {
      // Any file opens as the "namespace": the fake addon never enters it.
      const hostNetns = join(dir, 'ns');
      await writeFile(hostNetns, '');
      const broken = {
        nftNetdevChains: () => { throw Object.assign(new Error('open nftables socket for t: Protocol not supported'), { code: 'EPROTONOSUPPORT' }); },
        writeNetnsFile: () => undefined,
      } as unknown as NativeAddon;
      const spawns: string[] = [];
      const onSpawn = (p: string): void => void spawns.push(p);
      const native = await new NftHostGuard({ ...base, hostNetns, native: broken, nftables: 'native', onSpawn }).seal(['nsva', 'nsvb']);
      expect([...native.keys()]).toEqual(['nsva', 'nsvb']);
      expect(native.get('nsva')).toMatchObject({ name: 'HostGuardError', table: 'nsvswitch_br0' });
      expect(native.get('nsva')!.message).toContain('failed at "nf_tables seal": open nftables socket for t: Protocol not supported');
      expect(spawns).toEqual([]);
      // auto: the nft process is tried instead (here it fails too: the "namespace" is a plain file).
      const auto = await new NftHostGuard({ ...base, hostNetns, native: broken, nftables: 'auto', onSpawn }).seal(['nsva']);
      expect(spawns[0]).toBe('nft');
      expect(auto.get('nsva')!.message).toContain('"nft add chain"');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
