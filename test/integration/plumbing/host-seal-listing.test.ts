import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNative, type NativeAddon } from '../../../src/native/native.js';
import type { Logger } from '../../../src/observe/logger.js';
import { NftHostGuard } from '../../../src/plumbing/index.js';
import { hasGuardListing, listSealChains } from '../../../src/plumbing/host-guard/netlink-seal.js';
import { guardScript, INGRESS_PRIORITY, parseGuardTable, type ListedGuardTable } from '../../../src/plumbing/host-guard/nft-text.js';
import { PrivateNamespaces } from '../../helpers/private-namespaces.js';
import { run } from '../../../src/exec/run.js';

/**
 * The full sync's listing in-process (nf_tables dumps read by the addon) against the text parser
 * reading `nft -s list table` of the same kernel state, the parser being the oracle: one private
 * "host" namespace, one table per case built with `nft` (or the addon's own seal), every way a
 * table can differ from what the guard wrote. Then the guard itself: a resync that finds nothing
 * to change runs no process on the in-process path, `process` mode still runs `nft`, and a
 * listing that cannot run in-process falls back to `nft` in `auto` with one warning.
 */

const A = 'nsvcccc0000001';
const B = 'nsvcccc0000002';
const C = 'nsvcccc0000003';
const seal = (name: string, dev = name, extra = ''): string =>
  `add chain netdev T ${name} { type filter hook ingress device "${dev}" priority ${INGRESS_PRIORITY}; policy drop;${extra} }`;

/** Each case: an nft script building table T (its name substituted), or a function doing it. */
const CASES: { name: string; script: string; want?: { sealed: string[]; other: string[]; tableChanged: boolean } }[] = [
  { name: 'sealed by the nft script', script: guardScript('T', [A, B], []), want: { sealed: [A, B], other: [], tableChanged: false } },
  { name: 'an empty table', script: 'add table netdev T', want: { sealed: [], other: [], tableChanged: false } },
  { name: 'policy accept', script: `add table netdev T\n${seal(A)}\n${seal(B).replace('policy drop', 'policy accept')}`, want: { sealed: [A], other: [B], tableChanged: false } },
  { name: 'a rule added', script: `add table netdev T\n${seal(A)}\n${seal(B)}\nadd rule netdev T ${B} accept`, want: { sealed: [A], other: [B], tableChanged: false } },
  { name: 'a rule with an anonymous set (printed inside the rule, not as a set)', script: `add table netdev T\n${seal(A)}\nadd rule netdev T ${A} ether saddr { 02:00:00:00:00:01, 02:00:00:00:00:02 } accept`, want: { sealed: [], other: [A], tableChanged: false } },
  { name: 'hooked on another device', script: `add table netdev T\n${seal(A, B)}\n${seal(B)}`, want: { sealed: [B], other: [A], tableChanged: false } },
  { name: 'two devices', script: `add table netdev T\nadd chain netdev T ${A} { type filter hook ingress devices = { ${A}, ${B} } priority ${INGRESS_PRIORITY}; policy drop; }`, want: { sealed: [], other: [A], tableChanged: false } },
  { name: 'another priority', script: `add table netdev T\n${seal(A).replace(`priority ${INGRESS_PRIORITY}`, 'priority -499')}\n${seal(B)}` },
  { name: 'the egress hook', script: `add table netdev T\n${seal(A).replace('hook ingress', 'hook egress')}\n${seal(B)}` },
  { name: 'a regular chain', script: `add table netdev T\n${seal(A)}\nadd chain netdev T nsvregular`, want: { sealed: [A], other: ['nsvregular'], tableChanged: false } },
  { name: 'a chain comment', script: `add table netdev T\n${seal(A, A, ' comment "x";')}\n${seal(B)}`, want: { sealed: [B], other: [A], tableChanged: false } },
  { name: 'a chain jumping to another', script: `add table netdev T\n${seal(A)}\nadd chain netdev T nsvtarget\nadd rule netdev T ${A} jump nsvtarget` },
  { name: 'the table dormant', script: `add table netdev T { flags dormant; }\n${seal(A)}`, want: { sealed: [A], other: [], tableChanged: true } },
  { name: 'a table comment', script: `add table netdev T { comment "someone"; }\n${seal(A)}`, want: { sealed: [A], other: [], tableChanged: true } },
  { name: 'a named set', script: `add table netdev T\n${seal(A)}\nadd set netdev T s { type ether_addr; }`, want: { sealed: [A], other: [], tableChanged: true } },
  { name: 'a named counter', script: `add table netdev T\n${seal(A)}\nadd counter netdev T c`, want: { sealed: [A], other: [], tableChanged: true } },
  { name: 'a quota', script: `add table netdev T\n${seal(A)}\nadd quota netdev T q { over 1 mbytes; }` },
  { name: 'a limit', script: `add table netdev T\n${seal(A)}\nadd limit netdev T l { rate 10/second; }` },
];

describe('the seal table listed in-process (nf_tables dumps) against parseGuardTable of `nft -s list`', () => {
  const { addon, reason } = loadNative();
  let spaces: PrivateNamespaces | undefined;
  let ns: string;
  let fd = -1;
  let n = 0;

  /** A fresh table name per case (nft identifiers), so no case sees another's leftovers. */
  const fresh = (): string => `nsvswitch_list${n++}`;

  async function nftScript(table: string, script: string): Promise<void> {
    await run('nft', ['-f', '-'], { netns: ns, input: `${script.replace(/\bT\b/g, table)}\n` });
  }

  async function both(table: string): Promise<{ native: ListedGuardTable; text: ListedGuardTable }> {
    const res = await run('nft', ['-s', 'list', 'table', 'netdev', table], { netns: ns, okExitCodes: [1] });
    if (res.exitCode === 1) expect(res.stderr).toMatch(/No such file or directory/);
    const text = res.exitCode === 0 ? parseGuardTable(res.stdout) : { sealed: new Set<string>(), other: new Set<string>(), tableChanged: false };
    return { native: listSealChains(addon as Parameters<typeof listSealChains>[0], fd, table), text };
  }

  const listed = (w: { sealed: string[]; other: string[]; tableChanged: boolean }): ListedGuardTable =>
    ({ sealed: new Set(w.sealed), other: new Set(w.other), tableChanged: w.tableChanged });

  beforeAll(async () => {
    spaces = await PrivateNamespaces.create('seal-list-', 'host');
    [ns] = spaces.paths as [string];
    await run('ip', ['-batch', '-'], { netns: ns, input: [A, B, C].map((x) => `link add ${x} type veth peer name ${x.replace(/^nsv/, 'wl-')}\n`).join('') });
    fd = spaces.fd(ns);
  });
  afterAll(async () => {
    await spaces?.destroy();
  });

  it('the addon can list the table', () => {
    expect(hasGuardListing(addon), reason).toBe(true);
  });

  it('a missing table lists empty, as nft says it is not there', async () => {
    const { native, text } = await both(fresh());
    expect(native).toEqual(text);
    expect(native).toEqual(listed({ sealed: [], other: [], tableChanged: false }));
  });

  it('chains sealed by the addon read as sealed (the kernel lists our own chains as nft\'s)', async () => {
    const table = fresh();
    expect((addon as NativeAddon).nftNetdevChains(fd, table, [A, B, C], [], INGRESS_PRIORITY)).toEqual([]);
    const { native, text } = await both(table);
    expect(native).toEqual(text);
    expect(native).toEqual(listed({ sealed: [A, B, C], other: [], tableChanged: false }));
  });

  for (const c of CASES) {
    it(`${c.name}: as the text parser reads it`, async () => {
      const table = fresh();
      await nftScript(table, c.script);
      const { native, text } = await both(table);
      expect(native).toEqual(text);
      if (c.want) expect(native).toEqual(listed(c.want));
    });
  }

  it('a flowtable, where the kernel has them for netdev tables, is a table change', async () => {
    const table = fresh();
    await nftScript(table, `add table netdev T\n${seal(A)}`);
    const made = await run('nft', ['add', 'flowtable', 'netdev', table, 'f', `{ hook ingress priority 0; devices = { ${B} }; }`], { netns: ns, okExitCodes: [1] });
    const { native, text } = await both(table);
    expect(native).toEqual(text);
    expect(native.tableChanged).toBe(made.exitCode === 0);
  });

  it('a chain bound to a rule (`jump { ... }`): a table change both ways (nft prints it nested inside the rule)', async () => {
    const table = fresh();
    await nftScript(table, `add table netdev T\n${seal(A)}\n${seal(B)}\nadd rule netdev T ${B} jump { accept; }`);
    const { native, text } = await both(table);
    // The parser reads the nested block as the chain's end, so only its verdict is comparable: rebuild the table.
    expect(text.tableChanged).toBe(true);
    expect(native.tableChanged).toBe(true);
    expect(native.sealed).toEqual(new Set([A]));
    expect(native.other).toEqual(new Set([B]));
  });

  it('a sealed chain whose device was deleted lists as nft lists it', async () => {
    const table = fresh();
    await run('ip', ['link', 'add', 'nsvcccc0000009', 'type', 'veth', 'peer', 'name', 'wl-cccc0000009'], { netns: ns });
    expect((addon as NativeAddon).nftNetdevChains(fd, table, ['nsvcccc0000009', A], [], INGRESS_PRIORITY)).toEqual([]);
    await run('ip', ['link', 'del', 'nsvcccc0000009'], { netns: ns });
    const { native, text } = await both(table);
    expect(native).toEqual(text);
    expect(native.sealed.has(A)).toBe(true);
  });

  it('a table of 1200 chains (dumps of many parts), some with rules, some changed', async () => {
    const table = fresh();
    // Hooked on devices of their own names, absent here (the kernel keeps such hooks, as for a deleted device).
    const names = Array.from({ length: 1200 }, (_, i) => `nsvm${String(i).padStart(10, '0')}`);
    const lines = ['add table netdev T'];
    names.forEach((x, i) => {
      lines.push(i % 7 === 3 ? seal(x).replace('policy drop', 'policy accept') : seal(x));
      if (i % 5 === 1) lines.push(`add rule netdev T ${x} meta mark set 0x${i.toString(16)} accept`);
    });
    await nftScript(table, lines.join('\n'));
    const { native, text } = await both(table);
    expect(native).toEqual(text);
    const sealed = names.filter((_, i) => i % 7 !== 3 && i % 5 !== 1);
    expect(native.sealed).toEqual(new Set(sealed));
    expect(native.other.size).toBe(names.length - sealed.length);
  });
});

describe('NftHostGuard.sync lists and repairs in-process', () => {
  const { addon } = loadNative();
  let spaces: PrivateNamespaces | undefined;
  let ns: string;
  const spawns: string[] = [];
  const onSpawn = (p: string): void => void spawns.push(p);
  const ENDS = ['nsvdddd0000001', 'nsvdddd0000002', 'nsvdddd0000003'];

  async function textListing(table: string): Promise<ListedGuardTable> {
    return parseGuardTable((await run('nft', ['-s', 'list', 'table', 'netdev', table], { netns: ns })).stdout);
  }

  beforeAll(async () => {
    spaces = await PrivateNamespaces.create('seal-sync-', 'host');
    [ns] = spaces.paths as [string];
    await run('ip', ['-batch', '-'], { netns: ns, input: ENDS.map((x) => `link add ${x} type veth peer name ${x.replace(/^nsv/, 'wl-')}\n`).join('') });
  });
  afterAll(async () => {
    await spaces?.destroy();
  });

  it('native: a resync with nothing to change spawns no process; a tampered table is repaired without one', async () => {
    const guard = new NftHostGuard({ bridge: 'br-list-native', hostNetns: ns, ingressDrop: true, nftables: 'native', onSpawn });
    spawns.length = 0;
    expect([...(await guard.seal(ENDS))]).toEqual([]);
    expect(await guard.sync(ENDS)).toEqual({ added: 0, removed: 0 });
    expect(await guard.sync(ENDS)).toEqual({ added: 0, removed: 0 });
    expect(spawns).toEqual([]);
    // Tampered: a rule in one chain, another chain deleted, a stranger's chain, and one end no longer wanted.
    await run('nft', ['-f', '-'], {
      netns: ns,
      input: `add rule netdev ${guard.table} ${ENDS[0]} accept\ndelete chain netdev ${guard.table} ${ENDS[1]}\nadd chain netdev ${guard.table} nsvstranger\n`,
    });
    spawns.length = 0;
    expect(await guard.sync(ENDS.slice(0, 2))).toEqual({ added: 2, removed: 3 });
    expect(spawns).toEqual([]);
    expect(await textListing(guard.table)).toEqual({ sealed: new Set(ENDS.slice(0, 2)), other: new Set(), tableChanged: false });
    expect(await guard.sync(ENDS.slice(0, 2))).toEqual({ added: 0, removed: 0 });
    expect(spawns).toEqual([]);
    // A change to the table itself (rare) is still rebuilt by one `nft -f -`.
    await run('nft', ['add', 'counter', 'netdev', guard.table, 'c'], { netns: ns });
    expect(await guard.sync(ENDS)).toEqual({ added: 3, removed: 2 });
    expect(spawns).toEqual(['nft']);
    expect(await textListing(guard.table)).toEqual({ sealed: new Set(ENDS), other: new Set(), tableChanged: false });
  });

  it('process: the resync lists with nft even with the addon', async () => {
    const guard = new NftHostGuard({ bridge: 'br-list-process', hostNetns: ns, ingressDrop: true, nftables: 'process', onSpawn });
    expect([...(await guard.seal(ENDS))]).toEqual([]);
    spawns.length = 0;
    expect(await guard.sync(ENDS)).toEqual({ added: 0, removed: 0 });
    expect(spawns).toEqual(['nft']);
  });

  it('auto: a listing that cannot run in-process falls back to nft, with one warning for the guard\'s life', async () => {
    const real = addon as NativeAddon;
    const broken: NativeAddon = Object.create(real, {
      nftGuardTable: { value: () => { throw Object.assign(new Error('open nftables socket for t: Protocol not supported'), { code: 'EPROTONOSUPPORT', errno: 93 }); } },
    }) as NativeAddon;
    const warnings: string[] = [];
    const logger = { warn: (_o: unknown, msg: string) => void warnings.push(msg), debug: () => undefined } as unknown as Logger;
    const guard = new NftHostGuard({ bridge: 'br-list-auto', hostNetns: ns, ingressDrop: true, nftables: 'auto', native: broken, logger, onSpawn });
    expect(guard.nftInProcess).toBe(true);
    expect([...(await guard.seal(ENDS))]).toEqual([]);
    spawns.length = 0;
    expect(await guard.sync(ENDS)).toEqual({ added: 0, removed: 0 });
    expect(await guard.sync(ENDS)).toEqual({ added: 0, removed: 0 });
    expect(spawns).toEqual(['nft', 'nft']);
    expect(warnings).toEqual(['in-process nf_tables failed: nft process used for this call']);
    // native: the same failure is an error, no process.
    const strict = new NftHostGuard({ bridge: 'br-list-auto', hostNetns: ns, ingressDrop: true, nftables: 'native', native: broken, onSpawn });
    spawns.length = 0;
    await expect(strict.sync(ENDS)).rejects.toThrow(/nf_tables list.*Protocol not supported/);
    expect(spawns).toEqual([]);
  });
});
