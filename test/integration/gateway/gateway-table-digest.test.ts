import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/exec/run.js';
import { loadNative, type NativeAddon } from '../../../src/native/native.js';
import type { Logger } from '../../../src/observe/logger.js';
import { NftGatewayHost, type GatewayHostSpec } from '../../../src/plumbing/index.js';
import { hasTableDigest } from '../../../src/plumbing/gateway/netlink-digest.js';
import { PrivateNamespaces } from '../../helpers/private-namespaces.js';

/**
 * The full sync's check of the gateway table in-process (nftTableDigest: nf_tables dumps hashed
 * without counter values and other state) against the `nft -s list` text path, the text path being
 * the oracle: one private "host" namespace with a real gateway interface (a veth to a "tenant"
 * namespace, for real traffic through counted rules) and a table written by NftGatewayHost. Each
 * edit by hand is judged by a host on the native path and, done again, by one on the process
 * path: the same decision and the same repaired table. Nothing runs in this machine's own namespace.
 */

const GW = 'nsgdig01';
const GWS: GatewayHostSpec[] = [
  { tenantId: 1, ifName: GW, ip: '10.77.0.1', prefixLen: 24, subnet: '10.77.0.0/24', snat: true, peers: [], hostServices: [{ protocol: 'udp', port: 53 }, { protocol: 'udp', port: 67 }] },
  // Not present (no interface): only their rules and the sets naming them matter here.
  { tenantId: 2, ifName: 'nsgdig02', ip: '10.78.0.1', prefixLen: 24, subnet: '10.78.0.0/24', snat: true, peers: [], hostServices: [] },
  { tenantId: 3, ifName: 'nsgdig03', ip: '10.79.0.1', prefixLen: 24, subnet: '10.79.0.0/24', snat: false, peers: [], hostServices: [] },
];
/**
 * What a full sync on a host whose table and interfaces are right runs besides nft: nothing on the native
 * path (forwarding, sysctls, addresses and state read in-process); the process path reads forwarding, the
 * addresses and writes the sysctls with sysctl and ip.
 */
const NOT_NFT_NATIVE: string[] = [];
const NOT_NFT_PROCESS = ['sysctl', 'ip', 'sysctl'];

describe('the gateway table checked in-process (nftTableDigest) against the nft -s listing', () => {
  const { addon, reason } = loadNative();
  let spaces: PrivateNamespaces | undefined;
  let ns: string;
  let tenant: string;
  let fd = -1;
  const spawns: string[] = [];
  const onSpawn = (p: string): void => void spawns.push(p);
  const nft = (...args: string[]) => run('nft', args, { netns: ns });
  const listing = async (table: string): Promise<string> => (await nft('-s', 'list', 'table', 'inet', table)).stdout;
  const digest = (table: string): string | undefined => (addon as NativeAddon).nftTableDigest!(fd, 'inet', table)?.digest;
  /** Handle of the first rule of `chain` whose text contains `needle` (`nft -a` appends `# handle N`). */
  const handleOf = async (table: string, chain: string, needle: string): Promise<string> => {
    const text = (await nft('-a', 'list', 'chain', 'inet', table, chain)).stdout;
    const line = text.split('\n').find((l) => l.includes(needle) && / # handle \d+$/.test(l));
    if (!line) throw new Error(`no rule with ${needle} in ${chain}:\n${text}`);
    return /# handle (\d+)$/.exec(line)![1]!;
  };
  const counters = async (table: string): Promise<Map<string, number>> =>
    new Map((addon as NativeAddon).nftCounters(fd, 'inet', table).map((c) => [c.name, c.packets]));

  beforeAll(async () => {
    spaces = await PrivateNamespaces.create('gw-digest-', 'host', 'tenant');
    [ns, tenant] = spaces.paths as [string, string];
    // The gateway interface, its tenant end (with a default route through it), and an address of the host's own.
    await run('ip', ['-batch', '-'], {
      netns: ns,
      input: `link add ${GW} type veth peer name wl-dig01 netns ${tenant}\nlink add nsvdigup type veth peer name nsvdigdown\naddr add 192.0.2.1/24 dev nsvdigup\nlink set nsvdigup up\nlink set nsvdigdown up\nlink set lo up\n`,
    });
    await run('ip', ['-batch', '-'], { netns: tenant, input: 'link set lo up\nlink set wl-dig01 up\naddr add 10.77.0.2/24 dev wl-dig01\nroute add default via 10.77.0.1\n' });
    fd = spaces.fd(ns);
  });
  afterAll(async () => {
    await spaces?.destroy();
  });

  it('the addon can digest a table', () => {
    expect(hasTableDigest(addon), reason).toBe(true);
  });

  it('after a sync wrote the table, a full sync with nothing changed runs no nft on the native path; the process path lists with nft', async () => {
    const host = new NftGatewayHost({ bridge: 'br-dig-a', hostNetns: ns, nftables: 'native', onSpawn });
    expect(host.checkInProcess).toBe(true);
    spawns.length = 0;
    expect((await host.sync(GWS, true)).changed).toContain('table');
    expect(spawns.filter((p) => p === 'nft')).toEqual(['nft', 'nft', 'nft']);
    const handles = (await nft('-a', 'list', 'table', 'inet', host.table)).stdout;
    for (let i = 0; i < 2; i++) {
      spawns.length = 0;
      expect(await host.sync(GWS, true)).toEqual({ changed: [], missing: ['nsgdig02', 'nsgdig03'], forwardingTurnedOn: false });
      expect(spawns).toEqual(NOT_NFT_NATIVE);
    }
    // Nothing rewritten: the rule handles stay.
    expect((await nft('-a', 'list', 'table', 'inet', host.table)).stdout).toBe(handles);

    const text = new NftGatewayHost({ bridge: 'br-dig-a', hostNetns: ns, nftables: 'process', onSpawn });
    expect(text.checkInProcess).toBe(false);
    spawns.length = 0;
    expect((await text.sync(GWS, true)).changed).toEqual([]);
    expect(spawns).toEqual(['nft', ...NOT_NFT_PROCESS]);
  });

  it('a host without gateways: full syncs find the table absent in-process and run nothing; the process path deletes with nft each time; a table left over is deleted', async () => {
    const native = new NftGatewayHost({ bridge: 'br-dig-none', hostNetns: ns, nftables: 'native', onSpawn });
    spawns.length = 0;
    for (let i = 0; i < 3; i++) await native.sync([], true);
    expect(spawns).toEqual([]);
    const proc = new NftGatewayHost({ bridge: 'br-dig-none', hostNetns: ns, nftables: 'process', onSpawn });
    for (let i = 0; i < 3; i++) await proc.sync([], true);
    expect(spawns).toEqual(['nft', 'nft', 'nft']);
    // A table some earlier life of the agent left: found in-process, deleted with one nft.
    await run('nft', ['-f', '-'], { netns: ns, input: `add table inet ${native.table}\n` });
    spawns.length = 0;
    expect((await native.sync([], true)).changed).toEqual(['table']);
    expect(spawns).toEqual(['nft']);
    expect((await nft('list', 'tables')).stdout).not.toContain(native.table);
  });

  it('after a restart the listing decides once (the comment\'s fingerprint), then the digest does', async () => {
    const first = new NftGatewayHost({ bridge: 'br-dig-b', hostNetns: ns, nftables: 'native', onSpawn });
    expect((await first.sync(GWS, true)).changed).toContain('table');
    const restarted = new NftGatewayHost({ bridge: 'br-dig-b', hostNetns: ns, nftables: 'native', onSpawn });
    spawns.length = 0;
    expect((await restarted.sync(GWS, true)).changed).toEqual([]);
    expect(spawns).toEqual(['nft', ...NOT_NFT_NATIVE]);
    spawns.length = 0;
    expect((await restarted.sync(GWS, true)).changed).toEqual([]);
    expect(spawns).toEqual(NOT_NFT_NATIVE);
  });

  it('each edit by hand gets the text path\'s decision: rewritten (or left) exactly as the process path does', async () => {
    const native = new NftGatewayHost({ bridge: 'br-dig-c', hostNetns: ns, nftables: 'native', onSpawn });
    const text = new NftGatewayHost({ bridge: 'br-dig-c', hostNetns: ns, nftables: 'process', onSpawn });
    const table = native.table;
    await native.sync(GWS, true);
    await native.sync(GWS, true);
    const want = await listing(table);
    // [what, the edit, whether the text path rewrites the table for it]
    const edits: [string, () => Promise<unknown>, boolean][] = [
      ['anti-spoofing rule deleted', async () => nft('delete', 'rule', 'inet', table, 't1_out', 'handle', await handleOf(table, 't1_out', 'ip saddr != 10.77.0.0/24')), true],
      ['accept inserted first', () => nft('insert', 'rule', 'inet', table, 't1_host', 'accept'), true],
      ['final drop replaced by accept', async () => nft('replace', 'rule', 'inet', table, 't1_in', 'handle', await handleOf(table, 't1_in', 't1_drop_ingress'), 'accept'), true],
      ['forward policy drop', () => nft('chain', 'inet', table, 'forward', '{ policy drop; }'), true],
      ['chain added', () => nft('add', 'chain', 'inet', table, 'stranger'), true],
      ['table dormant', () => nft('add', 'table', 'inet', table, '{ flags dormant; }'), true],
      ['named set added', () => nft('add', 'set', 'inet', table, 's', '{ type ipv4_addr; }'), true],
      ['named set with an element added', () => run('nft', ['-f', '-'], { netns: ns, input: `add set inet ${table} s { type ipv4_addr; }\nadd element inet ${table} s { 192.0.2.9 }\n` }), true],
      ['counter object added', () => nft('add', 'counter', 'inet', table, 'extra'), true],
      // -s lists no counter values: the text path sees no edit, and neither does the digest.
      ['counters reset', () => nft('reset', 'counters', 'table', 'inet', table), false],
    ];
    for (const [what, edit, edited] of edits) {
      const judged = [];
      for (const host of [native, text]) {
        await edit();
        spawns.length = 0;
        const r = await host.sync(GWS, true);
        judged.push({ rewritten: r.changed.includes('table'), nft: spawns.filter((p) => p === 'nft').length, listing: await listing(table) });
      }
      const [n, t] = judged as [(typeof judged)[0], (typeof judged)[0]];
      expect({ rewritten: n.rewritten, listing: n.listing }, what).toEqual({ rewritten: t.rewritten, listing: t.listing });
      expect(n.rewritten, what).toBe(edited);
      expect(n.listing, what).toBe(want);
      // Found by the digest, then decided by the listing as on the text path: list, write, list again.
      expect(n.nft, what).toBe(edited ? 3 : 0);
      expect(t.nft, what).toBe(edited ? 3 : 1);
      // Repaired or left: the next full sync on the native path runs no nft.
      spawns.length = 0;
      expect((await native.sync(GWS, true)).changed, what).toEqual([]);
      expect(spawns, what).toEqual(NOT_NFT_NATIVE);
    }
  });

  it('traffic through counted rules changes no digest: the counters grow, the table is intact, no nft', async () => {
    // Only this table on the hooks: another's drop would end the packets before this one counts them.
    await nft('flush', 'ruleset');
    const host = new NftGatewayHost({ bridge: 'br-dig-d', hostNetns: ns, nftables: 'native', onSpawn });
    await host.sync(GWS, true);
    await host.sync(GWS, true);
    const before = digest(host.table);
    const was = await counters(host.table);
    // To the host's own other address: t1_drop_host. Through the host to elsewhere: t1_egress (then lost: nobody answers ARP).
    await run('ping', ['-c', '3', '-i', '0.2', '-W', '1', '192.0.2.1'], { netns: tenant, okExitCodes: [1] });
    await run('ping', ['-c', '3', '-i', '0.2', '-W', '1', '192.0.2.77'], { netns: tenant, okExitCodes: [1] });
    const now = await counters(host.table);
    expect(now.get('t1_drop_host')! - was.get('t1_drop_host')!).toBeGreaterThanOrEqual(3);
    expect(now.get('t1_egress')! - was.get('t1_egress')!).toBeGreaterThanOrEqual(3);
    expect(digest(host.table)).toBe(before);
    spawns.length = 0;
    expect((await host.sync(GWS, true)).changed).toEqual([]);
    expect(spawns).toEqual(NOT_NFT_NATIVE);
    // The counters were not reset by a rewrite.
    expect((await counters(host.table)).get('t1_drop_host')).toBe(now.get('t1_drop_host'));
  });

  it('auto: a digest that cannot be read falls back to the nft listing with one warning; native: an error, no process', async () => {
    const broken: NativeAddon = Object.create(addon as NativeAddon, {
      nftTableDigest: { value: () => { throw Object.assign(new Error('open nftables socket for t: Protocol not supported'), { code: 'EPROTONOSUPPORT', errno: 93 }); } },
    }) as NativeAddon;
    const warnings: string[] = [];
    const logger = { warn: (_o: unknown, msg: string) => void warnings.push(msg), info: () => undefined, debug: () => undefined } as unknown as Logger;
    const host = new NftGatewayHost({ bridge: 'br-dig-e', hostNetns: ns, nftables: 'auto', native: broken, logger, onSpawn });
    expect(host.checkInProcess).toBe(true);
    expect((await host.sync(GWS, true)).changed).toContain('table');
    spawns.length = 0;
    expect((await host.sync(GWS, true)).changed).toEqual([]);
    expect((await host.sync(GWS, true)).changed).toEqual([]);
    expect(spawns).toEqual(['nft', ...NOT_NFT_NATIVE, 'nft', ...NOT_NFT_NATIVE]);
    expect(warnings).toEqual(['in-process nf_tables failed: nft process used for this call']);
    const strict = new NftGatewayHost({ bridge: 'br-dig-e', hostNetns: ns, nftables: 'native', native: broken, onSpawn });
    spawns.length = 0;
    await expect(strict.sync(GWS, true)).rejects.toThrow(/nf_tables table digest.*Protocol not supported/);
    expect(spawns).toEqual([]);
  });
});

describe('nftTableDigest (addon) on tables built with nft', () => {
  const { addon: loaded } = loadNative();
  const addon = loaded as NativeAddon;
  let spaces: PrivateNamespaces | undefined;
  let ns: string;
  let fd = -1;
  const script = (input: string) => run('nft', ['-f', '-'], { netns: ns, input });
  const digest = (table: string) => addon.nftTableDigest!(fd, 'inet', table);

  beforeAll(async () => {
    spaces = await PrivateNamespaces.create('nft-digest-', 'n1');
    [ns] = spaces.paths as [string];
    await run('ip', ['link', 'set', 'lo', 'up'], { netns: ns });
    fd = spaces.fd(ns);
  });
  afterAll(async () => {
    await spaces?.destroy();
  });

  it('a missing table is null; bad arguments are TypeErrors', () => {
    expect(digest('nothere')).toBeNull();
    expect(() => addon.nftTableDigest!(fd, 'ip6' as 'inet', 't')).toThrow(/inet or netdev/);
    expect(() => addon.nftTableDigest!(fd, 'inet', 'bad-name')).toThrow(/letters, digits and underscores/);
    expect(() => addon.nftTableDigest!(123456, 'inet', 't')).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });

  it('leaves out counter values, quota used and their reset; an element added or removed changes it, and back is back', async () => {
    await script([
      'table inet dq {',
      '  counter c { }',
      '  quota q { over 100 bytes }',
      '  set s { type ipv4_addr; elements = { 192.0.2.1, 192.0.2.2 } }',
      '  chain input {',
      '    type filter hook input priority 0; policy accept;',
      '    ip protocol icmp counter quota over 50 bytes counter name "c" accept',
      '    ip protocol icmp quota name "q" ip saddr @s counter',
      '  }',
      '}',
      '',
    ].join('\n'));
    const d0 = digest('dq')!;
    expect(d0).toMatchObject({ chains: 1, rules: 2, sets: 1, elements: 2, objects: 2, flowtables: 0, listings: 1 });
    const text0 = (await run('nft', ['-s', 'list', 'table', 'inet', 'dq'], { netns: ns })).stdout;
    await run('ping', ['-c', '3', '-i', '0.2', '127.0.0.1'], { netns: ns });
    expect((await run('nft', ['list', 'counter', 'inet', 'dq', 'c'], { netns: ns })).stdout).toMatch(/packets [1-9]/);
    expect(digest('dq')!.digest).toBe(d0.digest);
    await run('nft', ['reset', 'counters', 'table', 'inet', 'dq'], { netns: ns });
    await run('nft', ['reset', 'quotas', 'table', 'inet', 'dq'], { netns: ns });
    expect(digest('dq')!.digest).toBe(d0.digest);
    // The text path agrees: -s lists the same table.
    expect((await run('nft', ['-s', 'list', 'table', 'inet', 'dq'], { netns: ns })).stdout).toBe(text0);
    await run('nft', ['add', 'element', 'inet', 'dq', 's', '{ 192.0.2.3 }'], { netns: ns });
    expect(digest('dq')!.digest).not.toBe(d0.digest);
    await run('nft', ['delete', 'element', 'inet', 'dq', 's', '{ 192.0.2.3 }'], { netns: ns });
    expect(digest('dq')!.digest).toBe(d0.digest);
    await run('nft', ['delete', 'element', 'inet', 'dq', 's', '{ 192.0.2.1 }'], { netns: ns });
    expect(digest('dq')!.digest).not.toBe(d0.digest);
  });

  it('a big table (dumps of many parts): the same twice, a different one for one rule more; elements in any order', async () => {
    const lines = ['add table inet big', 'add set inet big s { type ipv4_addr; }', 'add set inet big m { type ipv4_addr; flags interval; }'];
    for (let c = 0; c < 40; c++) {
      lines.push(`add chain inet big c${c}`);
      for (let r = 0; r < 50; r++) lines.push(`add rule inet big c${c} ip daddr 10.${c}.${r}.0/24 tcp dport { ${r + 1}, ${r + 1000} } counter accept`);
    }
    const addrs = Array.from({ length: 6000 }, (_, i) => `10.200.${i >> 8}.${i & 255}`);
    for (let i = 0; i < addrs.length; i += 500) lines.push(`add element inet big s { ${addrs.slice(i, i + 500).join(', ')} }`);
    lines.push('add element inet big m { 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 }');
    await script(`${lines.join('\n')}\n`);
    const d0 = digest('big')!;
    expect(d0).toMatchObject({ chains: 40, rules: 2000, sets: 2002 });
    expect(d0.elements).toBeGreaterThan(6000 + 4000);
    expect(digest('big')!.digest).toBe(d0.digest);
    // Removed and added again (a hash set may place it elsewhere): the same table, the same digest.
    await run('nft', ['delete', 'element', 'inet', 'big', 's', '{ 10.200.3.7 }'], { netns: ns });
    expect(digest('big')!.digest).not.toBe(d0.digest);
    await run('nft', ['add', 'element', 'inet', 'big', 's', '{ 10.200.3.7 }'], { netns: ns });
    expect(digest('big')!.digest).toBe(d0.digest);
    await run('nft', ['add', 'rule', 'inet', 'big', 'c39', 'accept'], { netns: ns });
    expect(digest('big')!.digest).not.toBe(d0.digest);
  });

  it('commits elsewhere during the dumps (a new ruleset generation) never give another digest: listed again, or EAGAIN', async () => {
    const rules = Array.from({ length: 300 }, (_, i) => `    ip daddr 10.1.${i >> 8}.${i & 255} tcp dport { 80, 443 } counter accept`);
    await script(`table inet calm {\n  chain c {\n${rules.join('\n')}\n  }\n}\ntable inet busy {\n}\n`);
    const quiet = digest('calm')!.digest;
    let stop = false;
    let commits = 0;
    const churn = (async () => {
      for (let i = 0; !stop; i++) {
        await run('nft', ['add', 'chain', 'inet', 'busy', `c${i}`], { netns: ns });
        commits++;
      }
    })();
    const seen = new Set<string>();
    let torn = 0;
    try {
      for (let i = 0; i < 400 && commits < 60; i++) {
        try {
          const d = digest('calm')!;
          seen.add(d.digest);
          if (d.listings > 1) torn++;
        } catch (err) {
          expect((err as { code?: string }).code).toBe('EAGAIN');
          torn++;
        }
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      stop = true;
      await churn;
    }
    expect(commits).toBeGreaterThan(0);
    expect(torn, 'no listing ran into a commit: the churn did not overlap').toBeGreaterThan(0);
    expect([...seen]).toEqual([quiet]);
  });

  it('tables of the same content in two families or under two names are told apart only by what they hold', async () => {
    await script(['inet one', 'inet two', 'netdev one'].map((t) => `table ${t} {\n  chain c {\n    accept\n  }\n}\n`).join(''));
    // The name is hashed (NFTA_TABLE_NAME): a table is its name and content.
    expect(digest('one')!.digest).not.toBe(digest('two')!.digest);
    expect(addon.nftTableDigest!(fd, 'netdev', 'one')!.digest).not.toBe(digest('one')!.digest);
    expect(digest('one')!.digest).toBe(digest('one')!.digest);
  });
});
