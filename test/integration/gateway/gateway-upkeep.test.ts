import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/exec/run.js';
import { loadNative } from '../../../src/native/native.js';
import { guardTableName } from '../../../src/plumbing/index.js';
import { hasTableDigest } from '../../../src/plumbing/gateway/netlink-digest.js';
import { hasInterfaceReads } from '../../../src/plumbing/gateway/netlink-interfaces.js';
import { BRIDGE, eventually } from '../../helpers/agent-env.js';
import { trafficMatrix, trafficProblems, type TrafficPair } from '../../helpers/traffic.js';
import { HOST } from '../security/realistic-host.js';
import { GW_TABLE, GatewayEnv, OUTSIDE, gwTenantYaml, type GwTenant } from './gateway-env.js';

/**
 * Keeping the gateway honest over time: its counters move with real traffic
 * (and are exported), and edits made in place inside nsvswitch's own
 * nftables tables (the gateway table and the host ends' seal) are undone by
 * the next full sync, to exactly what was there.
 */
const GA: GwTenant = { name: 'ua', id: 811, subnet: '10.91.0.0/24', gateway: '10.91.0.1', prefix: 'ua' };
const GB: GwTenant = { name: 'ub', id: 812, subnet: '10.92.0.0/24', gateway: '10.92.0.1', prefix: 'ub' };
const NAMES = ['ua-0', 'ub-0'];
const GUARD_TABLE = guardTableName(BRIDGE);

type Direction = 'egress' | 'ingress' | 'host';

/** A table listing with its top-level blocks in sorted order (everything else as listed). */
function sortedChains(text: string): string {
  const lines = text.split('\n');
  const blocks: string[] = [];
  const rest: string[] = [];
  let cur: string[] | undefined;
  for (const line of lines.slice(1)) {
    if (cur) {
      cur.push(line);
      if (line === '\t}') {
        blocks.push(cur.join('\n'));
        cur = undefined;
      }
    } else if (/^\t\S.* \{$/.test(line)) cur = [line];
    else if (line.trim() !== '') rest.push(line);
  }
  return [lines[0], ...blocks.sort(), ...rest].join('\n');
}

describe('tenant gateways: metrics from real traffic, in-place edits of our tables undone', () => {
  let g: GatewayEnv;
  const ns = (name: string): string => g.env.workloads.path(name);
  const nft = (...args: string[]) => run('nft', args, { netns: g.env.sb.hostNetns });
  const listing = async (family: 'inet' | 'netdev', table: string): Promise<string> => {
    const text = (await nft('-s', 'list', 'table', family, table)).stdout;
    // The seal's chains are independent of each other: a rebuilt table may list them in another order.
    return family === 'netdev' ? sortedChains(text) : text;
  };
  /** Handle of the first rule of `chain` whose text contains `needle` (`nft -a` appends `# handle N`). */
  const handleOf = async (chain: string, needle: string): Promise<string> => {
    const text = (await nft('-a', 'list', 'chain', 'inet', GW_TABLE, chain)).stdout;
    const line = text.split('\n').find((l) => l.includes(needle) && / # handle \d+$/.test(l));
    if (!line) throw new Error(`no rule with ${needle} in ${chain}:\n${text}`);
    return /# handle (\d+)$/.exec(line)![1]!;
  };
  const repaired = async (family: 'inet' | 'netdev', table: string, want: string): Promise<void> => {
    g.agent!.resync();
    await expect.poll(() => listing(family, table).catch(() => ''), { timeout: 10_000, interval: 100 }).toBe(want);
  };
  /** Processes the agent started so far, by program. */
  const spawned = async (): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (const v of (await g.metrics.processSpawns.get()).values) out[String(v.labels.program)] = (out[String(v.labels.program)] ?? 0) + v.value;
    return out;
  };
  /** Processes the agent started so far, by program, once none was started for 500 ms (the passes in flight ended). */
  const quietSpawns = async (): Promise<Record<string, number>> => {
    let last = JSON.stringify(await spawned());
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      const now = JSON.stringify(await spawned());
      if (now === last) return JSON.parse(now) as Record<string, number>;
      last = now;
    }
  };
  const inbound = async (): Promise<TrafficPair> => ({ from: g.upstream, to: ns('ua-0'), ip: await g.ipOf('ua-0'), label: 'outside -> ua-0' });

  async function counter(metric: 'gatewayPackets' | 'gatewayBytes' | 'gatewayDroppedPackets', tenant: string, direction: Direction): Promise<number> {
    const v = (await g.metrics[metric].get()).values.find((x) => x.labels.tenant === tenant && x.labels.direction === direction);
    return v?.value ?? 0;
  }

  beforeAll(async () => {
    g = await GatewayEnv.start('gw-upkeep');
    await g.env.writeManifest('tenants.yaml', [GA, GB].map(gwTenantYaml).join('---\n'));
    await g.env.workloads.add(...NAMES);
    await g.startAgent();
    await g.settled(NAMES.length, 2);
    // The upstream router routes the tenant's subnet to the host, so "from outside" really reaches the gateway.
    await g.ipBatch(g.upstream, [`route replace ${GA.subnet} via ${HOST.ip4}`]);
  });
  afterAll(async () => {
    await g?.stop();
  });

  it('gateway metrics move with real traffic: egress and replies, drops in, drops to the host; other tenants untouched', async () => {
    const before = {
      out: await counter('gatewayPackets', 'ua', 'egress'), outBytes: await counter('gatewayBytes', 'ua', 'egress'),
      back: await counter('gatewayPackets', 'ua', 'ingress'), dropIn: await counter('gatewayDroppedPackets', 'ua', 'ingress'),
      dropHost: await counter('gatewayDroppedPackets', 'ua', 'host'), other: await counter('gatewayPackets', 'ub', 'egress'),
    };
    const out: TrafficPair = { from: ns('ua-0'), to: g.upstream, ip: OUTSIDE, label: 'ua-0 -> outside' };
    expect(trafficProblems(await trafficMatrix([out], { tcpBytes: 256 * 1024 }), () => true)).toEqual([]);
    const blocked = [await inbound(), { from: ns('ua-0'), to: g.env.sb.hostNetns, ip: HOST.ip4, label: 'ua-0 -> host address' }];
    expect(trafficProblems(await trafficMatrix(blocked, { connectTimeoutMs: 800 }), () => false)).toEqual([]);

    const after = {
      out: await counter('gatewayPackets', 'ua', 'egress'), outBytes: await counter('gatewayBytes', 'ua', 'egress'),
      back: await counter('gatewayPackets', 'ua', 'ingress'), dropIn: await counter('gatewayDroppedPackets', 'ua', 'ingress'),
      dropHost: await counter('gatewayDroppedPackets', 'ua', 'host'), other: await counter('gatewayPackets', 'ub', 'egress'),
    };
    // 256 KiB of TCP and 8 UDP datagrams of 1000 bytes went out; their replies (ACKs) came back.
    expect(after.outBytes - before.outBytes).toBeGreaterThan(256 * 1024);
    expect(after.out - before.out).toBeGreaterThan(8);
    expect(after.back - before.back).toBeGreaterThan(0);
    // A TCP SYN (and its retries) and UDP datagrams from outside, and the same to the host's address.
    expect(after.dropIn - before.dropIn).toBeGreaterThan(0);
    expect(after.dropHost - before.dropHost).toBeGreaterThan(0);
    expect(after.other).toBe(before.other);
    const text = await g.metrics.registry.metrics();
    expect(text).toMatch(/^nsvswitch_gateway_packets_total\{tenant="ua",direction="egress"\} [1-9]\d*$/m);
    expect(text).toMatch(/^nsvswitch_gateway_dropped_packets_total\{tenant="ua",direction="host"\} [1-9]\d*$/m);
  });

  it('a rule replaced in place (same chain and rule counts) is found and undone, and the hole it opened closes again', async () => {
    const want = await listing('inet', GW_TABLE);
    // The last rule of ua's inbound chain (its final drop) becomes an accept: nothing else changes in size.
    await nft('replace', 'rule', 'inet', GW_TABLE, `t${GA.id}_in`, 'handle', await handleOf(`t${GA.id}_in`, `t${GA.id}_drop_ingress`), 'accept');
    expect(await listing('inet', GW_TABLE)).not.toBe(want);
    // The edit matters: a connection from outside now reaches the workload.
    expect(trafficProblems(await trafficMatrix([await inbound()]), () => true)).toEqual([]);
    await repaired('inet', GW_TABLE, want);
    expect(trafficProblems(await trafficMatrix([await inbound()], { connectTimeoutMs: 800 }), () => false)).toEqual([]);
  });

  it('other edits in place are undone as well: a base chain policy, a rule deleted, a rule inserted, the table made dormant', async () => {
    const want = await listing('inet', GW_TABLE);
    const edits: [string, () => Promise<unknown>][] = [
      ['forward policy drop', () => nft('chain', 'inet', GW_TABLE, 'forward', '{ policy drop; }')],
      ['anti-spoofing rule deleted', async () => nft('delete', 'rule', 'inet', GW_TABLE, `t${GA.id}_out`, 'handle', await handleOf(`t${GA.id}_out`, `ip saddr != ${GA.subnet}`))],
      ['accept inserted first', () => nft('insert', 'rule', 'inet', GW_TABLE, `t${GA.id}_host`, 'accept')],
      ['table dormant', () => nft('add', 'table', 'inet', GW_TABLE, '{ flags dormant; }')],
    ];
    for (const [what, edit] of edits) {
      await edit();
      expect(await listing('inet', GW_TABLE), what).not.toBe(want);
      await repaired('inet', GW_TABLE, want);
    }
    // Level-triggered: with nothing edited, a full sync rewrites nothing (rule handles stay).
    const handles = (await nft('-a', 'list', 'table', 'inet', GW_TABLE)).stdout;
    // The last repair's pass may still be listing the table it wrote (to record its digest) when the listing above
    // already shows it repaired: counted from once the agent started no process for 500 ms.
    const before = await quietSpawns();
    g.agent!.resync();
    await new Promise((r) => setTimeout(r, 1000));
    expect((await nft('-a', 'list', 'table', 'inet', GW_TABLE)).stdout).toBe(handles);
    // With the addon the full sync finds the table intact by its digest (recorded by the repair above), and
    // forwarding, the gateways' sysctls, addresses and state right by reading them in-process: no process at all.
    const { addon } = loadNative();
    if (hasTableDigest(addon) && hasInterfaceReads(addon)) expect(await spawned()).toEqual(before);
  });

  it('the host ends\' seal edited in place (policy accept, a rule, a set, the table made dormant) is restored exactly', async () => {
    const want = await listing('netdev', GUARD_TABLE);
    const [port] = (await g.env.ownedInterfaces()).map((i) => i.name);
    expect(want).toContain(`chain ${port!} {`);
    const edits: [string, () => Promise<unknown>][] = [
      ['policy accept', () => nft('chain', 'netdev', GUARD_TABLE, port!, '{ policy accept; }')],
      ['rule added', () => nft('add', 'rule', 'netdev', GUARD_TABLE, port!, 'accept')],
      ['table dormant', () => nft('add', 'table', 'netdev', GUARD_TABLE, '{ flags dormant; }')],
      ['set added', () => nft('add', 'set', 'netdev', GUARD_TABLE, 'x', '{ type ipv4_addr; }')],
    ];
    for (const [what, edit] of edits) {
      await edit();
      expect(await listing('netdev', GUARD_TABLE), what).not.toBe(want);
      await repaired('netdev', GUARD_TABLE, want);
    }
    await eventually('workloads still reach the outside', async () => trafficProblems(await trafficMatrix([{ from: ns('ub-0'), to: g.upstream, ip: OUTSIDE }]), () => true).length === 0);
  });
});
