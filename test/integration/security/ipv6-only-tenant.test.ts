import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import { Metrics } from '../../../src/observe/metrics.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { run } from '../../../src/exec/run.js';
import { eui64LinkLocal } from '../../../src/net/index.js';
import { AgentEnv, counterSum, pool, tenantYaml } from '../../helpers/agent-env.js';
import { trafficMatrix, trafficProblems, type TrafficPair } from '../../helpers/traffic.js';
import { traceCmd } from '../../helpers/workload-agent.js';
import { sendFrames, startCapture } from '../openflow/raw-frames.js';

/** An IPv6-only tenant (no spec.subnet), a dual-stack one and an IPv4-only one, on one agent. */
const SIX = ['six-a', 'six-b', 'six-c'];
const DUAL = ['dual-a', 'dual-b'];
const FOUR = ['four-a', 'four-b'];
const ALL = [...SIX, ...DUAL, ...FOUR];
/** The IPv4 frames sent from each port: unicast and broadcast UDP, and an ARP request (raw-frames.py). */
const V4_KINDS = ['untagged-unicast', 'untagged-broadcast', 'untagged-arp'];

interface Port { ns: string; mac: string; ip4?: string; ip6?: string; ll: string }

describe('an IPv6-only tenant beside a dual-stack and an IPv4-only one: IPv6 inside it, no IPv4 at all from it, isolation, restart with zero changes', () => {
  let env: AgentEnv;
  let agent: Agent | undefined;
  const ports = new Map<string, Port>();
  const p = (ns: string): Port => ports.get(ns)!;
  const path = (ns: string): string => env.workloads.path(ns);
  const traceFlags = (): string[] => {
    const c = env.config();
    return ['--ovsdb', c.ovsdb, '--ovs-rundir', c.ovsRundir, '--bridge', c.bridge, '--host-netns', env.sb.hostNetns];
  };

  async function startAgent(): Promise<{ agent: Agent; metrics: Metrics }> {
    const metrics = new Metrics({ defaultMetrics: false });
    const a = await Agent.start(env.config(), { logger: silentLogger(), http: false, metrics });
    await a.ready;
    return { agent: a, metrics };
  }

  const ping6 = async (from: string, ip: string, count = 2): Promise<number> => {
    const r = await run('ping', ['-6', '-n', '-q', '-c', String(count), '-W', '1', '-i', '0.2', ip], { netns: path(from), okExitCodes: [1, 2] });
    return Number(/(\d+) received/.exec(r.stdout)?.[1] ?? 0);
  };

  /** Every address of eth0 (both families, scope) and every route, as the namespace has them. */
  async function inside(ns: string): Promise<{ v4: string[]; v6: string[]; routes4: string; routes6: string }> {
    const j = JSON.parse((await run('ip', ['-j', 'addr', 'show', 'dev', 'eth0'], { netns: path(ns) })).stdout) as { addr_info: { family: string; local: string; prefixlen: number; scope: string }[] }[];
    const infos = j.flatMap((l) => l.addr_info);
    return {
      v4: infos.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
      v6: infos.filter((a) => a.family === 'inet6').map((a) => `${a.local}/${a.prefixlen}/${a.scope}`).sort(),
      routes4: (await run('ip', ['-4', 'route', 'show'], { netns: path(ns) })).stdout.trim(),
      routes6: (await run('ip', ['-6', 'route', 'show', 'default'], { netns: path(ns) })).stdout.trim(),
    };
  }

  beforeAll(async () => {
    env = await AgentEnv.start('ipv6-only');
    await env.writeManifest('tenants.yaml', [
      'apiVersion: nsvswitch/v1\nkind: Tenant\nmetadata: { name: six }\nspec:\n  id: 510\n  subnet6: "fd00:51::/64"\n  gateway6: "fd00:51::1"\n  namespaces: ["six-*"]\n',
      tenantYaml('dual', 520, '10.52.0.0/24', ['dual-*'], '  subnet6: "fd00:52::/64"\n'),
      tenantYaml('four', 530, '10.53.0.0/24', ['four-*']),
    ].join('---\n'));
    await env.workloads.add(...ALL);
    agent = (await startAgent()).agent;
    await env.readyPorts(ALL.length);
    for (const i of await env.ownedInterfaces()) {
      const ns = i.ids['nsvswitch-netns']!.split('/').pop()!;
      const mac = i.ids['nsvswitch-mac']!;
      const ip4 = i.ids['nsvswitch-ip']?.split('/')[0];
      const ip6 = i.ids['nsvswitch-ip6']?.split('/')[0];
      ports.set(ns, { ns, mac, ...(ip4 ? { ip4 } : {}), ...(ip6 ? { ip6 } : {}), ll: eui64LinkLocal(mac) });
    }
  });

  afterAll(async () => {
    await agent?.stop();
    await env?.stop();
  });

  it('records an IPv6-only port with nsvswitch-ip6 and no nsvswitch-ip, and configures no IPv4 address or route inside', async () => {
    const byNs = new Map((await env.ownedInterfaces()).map((i) => [i.ids['nsvswitch-netns']!.split('/').pop()!, i.ids]));
    expect(SIX.map((n) => [byNs.get(n)?.['nsvswitch-ip'], byNs.get(n)?.['nsvswitch-ip6']])).toEqual([
      [undefined, 'fd00:51::2/64'], [undefined, 'fd00:51::3/64'], [undefined, 'fd00:51::4/64'],
    ]);
    expect(byNs.get('six-a')).not.toHaveProperty('nsvswitch-gateway');
    expect(byNs.get('six-a')?.['nsvswitch-gateway6']).toBe('fd00:51::1');
    expect(byNs.get('dual-a')).toMatchObject({ 'nsvswitch-ip': '10.52.0.1/24', 'nsvswitch-ip6': 'fd00:52::1/64' });
    expect(byNs.get('four-a')).toMatchObject({ 'nsvswitch-ip': '10.53.0.1/24' });
    expect(byNs.get('four-a')).not.toHaveProperty('nsvswitch-ip6');
    const six = await inside('six-a');
    expect(six.v4).toEqual([]);
    expect(six.routes4).toBe('');
    expect(six.v6).toEqual([`${p('six-a').ll}/64/link`, 'fd00:51::2/64/global'].sort());
    expect(six.routes6).toContain('via fd00:51::1 dev eth0');
    const st = agent!.status();
    expect(st.namespaces.find((n) => n.name === 'six-a')).toMatchObject({ state: 'ready', ip6: 'fd00:51::2/64' });
    expect(st.namespaces.find((n) => n.name === 'six-a')).not.toHaveProperty('ip');
    expect(st.tenants.find((t) => t.name === 'six')).toEqual({ name: 'six', id: 510, subnet6: 'fd00:51::/64', ports: 3, ready: 3 });
  });

  it('inside the IPv6-only tenant: ping6, TCP and UDP over global and link-local addresses, bytes checked at the far end', async () => {
    expect(await ping6('six-a', p('six-b').ip6!)).toBe(2);
    expect(await ping6('six-c', `${p('six-a').ll}%eth0`)).toBe(2);
    const pairs: TrafficPair[] = [
      { from: path('six-a'), to: path('six-b'), ip: p('six-b').ip6!, label: 'six-a -> six-b global' },
      { from: path('six-b'), to: path('six-c'), ip: p('six-c').ip6!, label: 'six-b -> six-c global' },
      { from: path('six-c'), to: path('six-a'), ip: `${p('six-a').ll}%eth0`, label: 'six-c -> six-a link-local' },
    ];
    expect(trafficProblems(await trafficMatrix(pairs), () => true)).toEqual([]);
  });

  it('the dual-stack and IPv4-only tenants on the same agent work as before', async () => {
    const pairs: TrafficPair[] = [
      { from: path('dual-a'), to: path('dual-b'), ip: p('dual-b').ip4!, label: 'dual v4' },
      { from: path('dual-b'), to: path('dual-a'), ip: p('dual-a').ip6!, label: 'dual v6' },
      { from: path('four-a'), to: path('four-b'), ip: p('four-b').ip4!, label: 'four v4' },
    ];
    expect(trafficProblems(await trafficMatrix(pairs), () => true)).toEqual([]);
    expect(await ping6('four-a', `${p('four-b').ll}%eth0`)).toBe(0);
  });

  it('no IPv4 at all from an IPv6-only port: crafted IPv4 and ARP frames reach nobody, while the same frames from a dual-stack port arrive (positive control)', async () => {
    const send = async (from: string, to: string, srcIp: string, dstIp: string): Promise<Record<string, number>> => {
      const cap = await startCapture(path(to));
      try {
        await sendFrames(path(from), { srcMac: p(from).mac, srcIp, dstMac: p(to).mac, dstIp, unusedIp: '10.52.0.99', vlanIds: [1], kinds: V4_KINDS, count: 5 });
        await new Promise((r) => setTimeout(r, 300));
      } catch (err) {
        cap.abort();
        throw err;
      }
      const got = await cap.stop();
      return Object.fromEntries(V4_KINDS.map((k) => [k, got[k]?.frames ?? 0]));
    };
    const none = Object.fromEntries(V4_KINDS.map((k) => [k, 0]));
    const all = Object.fromEntries(V4_KINDS.map((k) => [k, 5]));
    // A source inside the dual-stack tenant's subnet, one that no port has, and 0.0.0.0: none gets through.
    for (const src of ['10.52.0.1', '10.51.0.7', '0.0.0.0']) expect(await send('six-a', 'six-b', src, '10.51.0.8'), src).toEqual(none);
    expect(await send('dual-a', 'dual-b', p('dual-a').ip4!, p('dual-b').ip4!)).toEqual(all);
    // A workload that configures IPv4 itself still gets nothing through; dual-stack neighbours do.
    await run('ip', ['addr', 'add', '10.51.0.7/24', 'dev', 'eth0'], { netns: path('six-a') });
    await run('ip', ['addr', 'add', '10.51.0.8/24', 'dev', 'eth0'], { netns: path('six-b') });
    try {
      expect(await env.pingCount('six-a', '10.51.0.8', { count: 2, waitS: 1 })).toBe(0);
      expect(await env.pingCount('dual-a', p('dual-b').ip4!, { count: 2, waitS: 1 })).toBe(2);
    } finally {
      await run('ip', ['addr', 'del', '10.51.0.7/24', 'dev', 'eth0'], { netns: path('six-a') });
      await run('ip', ['addr', 'del', '10.51.0.8/24', 'dev', 'eth0'], { netns: path('six-b') });
    }
    // The switch says why: the IPv6-only port's own drop counted them.
    const t = await traceCmd(['six-a', 'six-b', '--proto', 'arp', ...traceFlags()]);
    expect(t.code, t.out).toBe(1);
    expect(t.out).toContain('has no IPv4 address (its tenant is IPv6-only)');
  });

  it('cross-tenant IPv6 is blocked both ways with on-link routes (IPv6-only <-> dual-stack)', async () => {
    await run('ip', ['-6', 'route', 'add', 'fd00:52::/64', 'dev', 'eth0'], { netns: path('six-a') });
    await run('ip', ['-6', 'route', 'add', 'fd00:51::/64', 'dev', 'eth0'], { netns: path('dual-a') });
    expect(await ping6('six-a', p('dual-a').ip6!)).toBe(0);
    expect(await ping6('dual-a', p('six-a').ip6!)).toBe(0);
    const r = await trafficMatrix([
      { from: path('six-a'), to: path('dual-a'), ip: p('dual-a').ip6!, label: 'six -> dual' },
      { from: path('dual-a'), to: path('six-a'), ip: p('six-a').ip6!, label: 'dual -> six' },
      { from: path('six-b'), to: path('dual-b'), ip: `${p('dual-b').ll}%eth0`, label: 'six -> dual link-local' },
    ], { connectTimeoutMs: 800 });
    expect(trafficProblems(r, () => false)).toEqual([]);
    const t = await traceCmd(['six-a', 'dual-a', ...traceFlags()]);
    expect(t.code, t.out).toBe(1);
    expect(t.out).toContain('tenants are isolated');
    const same = await traceCmd(['six-a', 'six-b', ...traceFlags()]);
    expect(same.code, same.out).toBe(0);
    expect(same.out).toContain(`six-a (${p('six-a').ip6}) -> six-b (${p('six-b').ip6}) [icmp6]: ALLOWED`);
  });

  it('a restart with nothing changed writes nothing to OVSDB and sends no flow-mod; every address stays', async () => {
    const rows = async (): Promise<string[]> => (await env.ownedInterfaces()).map((i) => JSON.stringify(Object.entries(i.ids).sort())).sort();
    const beforeRows = await rows();
    const beforeInside = await pool(ALL, 4, async (n) => JSON.stringify(await inside(n)));
    const beforeFlows = (await env.ourFlows()).sort();
    await agent?.stop();
    const s = await startAgent();
    agent = s.agent;
    await new Promise((r) => setTimeout(r, 1000));
    agent.resync();
    await new Promise((r) => setTimeout(r, 500));
    expect(await counterSum(s.metrics.ovsdbTransactions, { kind: 'write' })).toBe(0);
    expect(await counterSum(s.metrics.flowMods)).toBe(0);
    expect(await rows()).toEqual(beforeRows);
    expect(await pool(ALL, 4, async (n) => JSON.stringify(await inside(n)))).toEqual(beforeInside);
    expect((await env.ourFlows()).sort()).toEqual(beforeFlows);
    expect(await ping6('six-a', p('six-c').ip6!)).toBe(2);
  });
});
