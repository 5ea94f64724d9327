import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { Agent } from '../../../src/agent/agent.js';
import { Metrics } from '../../../src/observe/metrics.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { run } from '../../../src/exec/run.js';
import { eui64LinkLocal } from '../../../src/net/index.js';
import { AgentEnv, eventually, tenantYaml } from '../../helpers/agent-env.js';
import { trafficMatrix, trafficProblems, type TrafficPair, type TrafficResult } from '../../helpers/traffic.js';
import { startCapture } from '../openflow/raw-frames.js';
import { traceCmd } from '../../helpers/workload-agent.js';

const PYTHON = '/usr/bin/python3';
const ATTACKS = fileURLToPath(new URL('./ipv6-attacks.py', import.meta.url));
const PLAIN = 'br-plain';
/** Namespaces on a plain OVS bridge (NORMAL, no nsvswitch): the positive controls of every attack. */
const CTL = ['ctl-a', 'ctl-b', 'ctl-c'];

/** Two dual-stack tenants and an IPv4-only one: real IPv6 traffic between real namespaces. */
const SKY = ['sky-a', 'sky-b', 'sky-c'];
const SEA = ['sea-a'];
const SUN = ['sun-a', 'sun-b'];

interface Port { ns: string; mac: string; ip4: string; ip6?: string; ll: string }

describe('IPv6 and dual stack on a real switch: same-tenant traffic, isolation, IPv4-only tenants unchanged', () => {
  let env: AgentEnv;
  let agent: Agent | undefined;
  const ports = new Map<string, Port>();

  const ping6 = async (from: string, ip: string, count = 2): Promise<number> => {
    const r = await run('ping', ['-6', '-n', '-q', '-c', String(count), '-W', '1', '-i', '0.2', ip], { netns: env.workloads.path(from), okExitCodes: [1, 2] });
    return Number(/(\d+) received/.exec(r.stdout)?.[1] ?? 0);
  };

  beforeAll(async () => {
    env = await AgentEnv.start('ipv6-traffic');
    await env.writeManifest('tenants.yaml', [
      tenantYaml('sky', 410, '10.41.0.0/24', ['sky-*'], '  subnet6: "fd00:41::/64"\n'),
      tenantYaml('sea', 420, '10.42.0.0/24', ['sea-*'], '  subnet6: "fd00:42::/64"\n'),
      tenantYaml('sun', 430, '10.43.0.0/24', ['sun-*']),
    ].join('---\n'));
    await env.workloads.add(...SKY, ...SEA, ...SUN);
    const metrics = new Metrics({ defaultMetrics: false });
    agent = await Agent.start(env.config(), { logger: silentLogger(), http: false, metrics });
    await agent.ready;
    const all = [...SKY, ...SEA, ...SUN];
    await env.readyPorts(all.length);
    for (const i of await env.ownedInterfaces()) {
      const ns = i.ids['nsvswitch-netns']!.split('/').pop()!;
      const mac = i.ids['nsvswitch-mac']!;
      const ip6 = i.ids['nsvswitch-ip6']?.split('/')[0];
      ports.set(ns, { ns, mac, ip4: i.ids['nsvswitch-ip']!.split('/')[0]!, ...(ip6 ? { ip6 } : {}), ll: eui64LinkLocal(mac) });
    }
    await plugControls();
  });

  afterAll(async () => {
    await agent?.stop();
    await env?.stop();
  });

  const p = (ns: string): Port => ports.get(ns)!;
  const path = (ns: string): string => env.workloads.path(ns);

  async function attack(from: string, spec: Record<string, unknown>): Promise<void> {
    await run('nsenter', [`--net=${path(from)}`, PYTHON, ATTACKS, 'send', 'eth0', JSON.stringify(spec)]);
  }

  async function neighMac(ns: string, ip: string): Promise<string | undefined> {
    const out = (await run('ip', ['-6', '-j', 'neigh', 'show', 'dev', 'eth0', ip], { netns: path(ns) })).stdout;
    return (JSON.parse(out || '[]') as { lladdr?: string }[])[0]?.lladdr;
  }

  /** IPv6 default routes and addresses a namespace has: what a rogue RA would give it. */
  async function learned(ns: string): Promise<{ routes: string; addrs: string }> {
    return {
      routes: (await run('ip', ['-6', 'route', 'show', 'default'], { netns: path(ns) })).stdout.trim(),
      addrs: (await run('ip', ['-6', 'addr', 'show', 'dev', 'eth0'], { netns: path(ns) })).stdout,
    };
  }

  /** Workloads on the plain bridge: a veth each, plain addresses, the kernel's default IPv6 settings. */
  async function plugControls(): Promise<void> {
    await env.sb.vsctl('add-br', PLAIN, '--', 'set', 'Bridge', PLAIN, 'datapath_type=netdev', 'fail_mode=standalone');
    await env.workloads.add(...CTL);
    for (const [i, ns] of CTL.entries()) {
      const host = `nsctl${i}`;
      await env.sb.inHost('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', path(ns)]);
      await env.sb.inHost('sysctl', ['-q', '-w', `net.ipv6.conf.${host}.disable_ipv6=1`]);
      await env.sb.inHost('ip', ['link', 'set', host, 'up']);
      await env.sb.vsctl('add-port', PLAIN, host);
      await run('ethtool', ['-K', 'eth0', 'tx', 'off'], { netns: path(ns) });
      await run('ip', ['link', 'set', 'lo', 'up'], { netns: path(ns) });
      await run('ip', ['link', 'set', 'eth0', 'up'], { netns: path(ns) });
      await run('ip', ['addr', 'add', `fd00:77::${i + 1}/64`, 'dev', 'eth0', 'nodad'], { netns: path(ns) });
      const link = JSON.parse((await run('ip', ['-j', 'link', 'show', 'eth0'], { netns: path(ns) })).stdout) as { address: string }[];
      const mac = link[0]!.address;
      ports.set(ns, { ns, mac, ip4: '', ip6: `fd00:77::${i + 1}`, ll: eui64LinkLocal(mac) });
    }
  }

  it('same tenant: ping6 to global and link-local addresses, answered neighbour discovery with the right MAC', async () => {
    expect(await ping6('sky-a', p('sky-b').ip6!)).toBe(2);
    expect(await ping6('sky-b', `${p('sky-c').ll}%eth0`)).toBe(2);
    const neigh = (await run('ip', ['-6', '-j', 'neigh', 'show', 'dev', 'eth0', p('sky-b').ip6!], { netns: env.workloads.path('sky-a') })).stdout;
    expect((JSON.parse(neigh) as { lladdr?: string }[])[0]?.lladdr).toBe(p('sky-b').mac);
  });

  it('same tenant: TCP and UDP over global and link-local IPv6, bytes checked at the far end', async () => {
    const pairs: TrafficPair[] = [
      { from: path('sky-a'), to: path('sky-b'), ip: p('sky-b').ip6!, label: 'sky-a -> sky-b global' },
      { from: path('sky-b'), to: path('sky-c'), ip: p('sky-c').ip6!, label: 'sky-b -> sky-c global' },
      { from: path('sky-c'), to: path('sky-a'), ip: `${p('sky-a').ll}%eth0`, label: 'sky-c -> sky-a link-local' },
      { from: path('sky-a'), to: path('sky-c'), ip: `${p('sky-c').ll}%eth0`, label: 'sky-a -> sky-c link-local' },
    ];
    expect(trafficProblems(await trafficMatrix(pairs), () => true)).toEqual([]);
  });

  it('dual stack: IPv4 and IPv6 between the same workloads at once; the IPv4-only tenant exactly as before, IPv6 dropped there', async () => {
    const pairs: TrafficPair[] = [
      { from: path('sky-a'), to: path('sky-b'), ip: p('sky-b').ip4, label: 'sky v4' },
      { from: path('sky-b'), to: path('sky-a'), ip: p('sky-a').ip6!, label: 'sky v6' },
      { from: path('sea-a'), to: path('sky-a'), ip: p('sky-a').ip6!, label: 'sea -> sky v6 (blocked)' },
      { from: path('sun-a'), to: path('sun-b'), ip: p('sun-b').ip4, label: 'sun v4' },
      { from: path('sun-a'), to: path('sun-b'), ip: `${p('sun-b').ll}%eth0`, label: 'sun v6 link-local (dropped)' },
    ];
    const allowed = (r: TrafficResult): boolean => !/blocked|dropped/.test(r.pair.label ?? '');
    // An IPv4-only tenant's workload keeps the kernel's own link-local address, which goes through duplicate address
    // detection first (about a second, tentative meanwhile): the listener of the "dropped" pair must be able to bind it,
    // or the pair would prove nothing.
    await eventually('sun-b link-local usable (DAD done)', async () => {
      const r = await run('ip', ['-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'link'], { netns: path('sun-b') });
      return r.stdout.includes(p('sun-b').ll) && !/tentative/.test(r.stdout);
    }, 20_000, 100);
    expect(trafficProblems(await trafficMatrix(pairs), allowed)).toEqual([]);
    expect(p('sun-a').ip6).toBeUndefined();
    expect(await ping6('sun-a', `${p('sun-b').ll}%eth0`)).toBe(0);
    expect(await env.ping('sun-a', p('sun-b').ip4)).toBe(true);
  });

  it('cross-tenant IPv6 is dropped both ways, even with on-link routes and static neighbour entries', async () => {
    await run('ip', ['-6', 'route', 'add', 'fd00:42::/64', 'dev', 'eth0'], { netns: path('sky-a') });
    await run('ip', ['-6', 'route', 'add', 'fd00:41::/64', 'dev', 'eth0'], { netns: path('sea-a') });
    expect(await ping6('sky-a', p('sea-a').ip6!)).toBe(0);
    expect(await ping6('sea-a', p('sky-a').ip6!)).toBe(0);
    await run('ip', ['-6', 'neigh', 'replace', p('sea-a').ip6!, 'lladdr', p('sea-a').mac, 'dev', 'eth0', 'nud', 'permanent'], { netns: path('sky-a') });
    await run('ip', ['-6', 'neigh', 'replace', p('sky-a').ip6!, 'lladdr', p('sky-a').mac, 'dev', 'eth0', 'nud', 'permanent'], { netns: path('sea-a') });
    expect(await ping6('sky-a', p('sea-a').ip6!)).toBe(0);
    expect(await ping6('sea-a', p('sky-a').ip6!)).toBe(0);
    const r = await trafficMatrix([
      { from: path('sky-a'), to: path('sea-a'), ip: p('sea-a').ip6!, label: 'sky -> sea' },
      { from: path('sea-a'), to: path('sky-a'), ip: p('sky-a').ip6!, label: 'sea -> sky' },
    ], { connectTimeoutMs: 800 });
    expect(trafficProblems(r, () => false)).toEqual([]);
  });

  it('a spoofed IPv6 source reaches nobody (a neighbour\'s, another tenant\'s, an unused one); the own source does; on a plain bridge all arrive', async () => {
    const run1 = async (attacker: string, victim: string, sources: Record<string, string>): Promise<Record<string, number>> => {
      const cap = await startCapture(path(victim));
      try {
        for (const [label, src] of Object.entries(sources)) {
          await attack(attacker, { kind: 'spoof', label, srcMac: p(attacker).mac, dstMac: p(victim).mac, dstIp: p(victim).ip6, src, count: 5 });
        }
        await new Promise((r) => setTimeout(r, 300));
      } catch (err) {
        cap.abort();
        throw err;
      }
      const got = await cap.stop();
      return Object.fromEntries(Object.keys(sources).map((k) => [k, got[k]?.frames ?? 0]));
    };
    expect(await run1('sky-a', 'sky-c', { own: p('sky-a').ip6!, neighbour: p('sky-b').ip6!, other: p('sea-a').ip6!, unused: 'fd00:41::99', ll: 'fe80::1' }))
      .toEqual({ own: 5, neighbour: 0, other: 0, unused: 0, ll: 0 });
    expect(await run1('ctl-a', 'ctl-c', { own: p('ctl-a').ip6!, neighbour: p('ctl-b').ip6!, unused: 'fd00:77::99' })).toEqual({ own: 5, neighbour: 5, unused: 5 });
  });

  it('a forged neighbour advertisement claiming a neighbour\'s address leaves the victim\'s neighbour table as it was; on a plain bridge it poisons it', async () => {
    for (const [attacker, owner, victim, guarded] of [['sky-a', 'sky-b', 'sky-c', true], ['ctl-a', 'ctl-b', 'ctl-c', false]] as const) {
      expect(await ping6(victim, p(owner).ip6!)).toBe(2);
      expect(await neighMac(victim, p(owner).ip6!)).toBe(p(owner).mac);
      await attack(attacker, { kind: 'forged-na', srcMac: p(attacker).mac, srcLl: p(attacker).ll, dstMac: p(victim).mac, dstIp: p(victim).ip6, target: p(owner).ip6, count: 3 });
      await new Promise((r) => setTimeout(r, 300));
      expect(await neighMac(victim, p(owner).ip6!), `${victim}'s entry for ${owner}`).toBe(guarded ? p(owner).mac : p(attacker).mac);
    }
    // And the switch says why: an NA for someone else's address fails the ND guard.
    const dump = await env.sb.ofctl('-O', 'OpenFlow15', 'dump-flows', env.sb.mgmt('br-nsv'), 'table=12,icmp6,icmp_type=136');
    expect(Number(/priority=50,icmp6,icmp_type=136.*?n_packets=(\d+)|n_packets=(\d+),.*priority=50,icmp6,icmp_type=136/.exec(dump)?.slice(1).find(Boolean) ?? 0)).toBeGreaterThanOrEqual(6);
  });

  it('a rogue router advertisement gives no workload a route or an address; on a plain bridge it gives both', async () => {
    await attack('sky-a', { kind: 'rogue-ra', srcMac: p('sky-a').mac, srcLl: p('sky-a').ll, prefix: 'fd00:99::', count: 3 });
    await attack('ctl-a', { kind: 'rogue-ra', srcMac: p('ctl-a').mac, srcLl: p('ctl-a').ll, prefix: 'fd00:99::', count: 3 });
    await eventually('the control learned the rogue router', async () => (await learned('ctl-c')).routes.includes(p('ctl-a').ll), 5000);
    expect((await learned('ctl-c')).addrs).toContain('fd00:99::');
    for (const ns of ['sky-b', 'sky-c', 'sea-a', 'sun-a']) {
      const l = await learned(ns);
      expect(l.routes, ns).toBe('');
      expect(l.addrs, ns).not.toContain('fd00:99');
    }
  });

  it('DHCPv6 server messages and redirects from a workload reach nobody; on a plain bridge they arrive', async () => {
    const guarded = async (attacker: string, victim: string): Promise<Record<string, number>> => {
      const cap = await startCapture(path(victim));
      try {
        const base = { srcMac: p(attacker).mac, srcLl: p(attacker).ll, dstMac: p(victim).mac, dstIp: p(victim).ip6, count: 3 };
        await attack(attacker, { ...base, kind: 'dhcp6', label: 'dhcp6' });
        await attack(attacker, { ...base, kind: 'redirect', label: 'redirect', target: 'fd00:99::1' });
        await new Promise((r) => setTimeout(r, 300));
      } catch (err) {
        cap.abort();
        throw err;
      }
      const got = await cap.stop();
      return { dhcp6: got['dhcp6']?.frames ?? 0, redirect: got['redirect']?.frames ?? 0 };
    };
    expect(await guarded('sky-a', 'sky-b')).toEqual({ dhcp6: 0, redirect: 0 });
    expect(await guarded('ctl-a', 'ctl-b')).toEqual({ dhcp6: 6, redirect: 3 });
  });

  it('IPv6 multicast stays in the tenant: all-nodes from a dual-stack workload reaches its tenant only', async () => {
    const caps = await Promise.all(['sky-b', 'sky-c', 'sea-a', 'sun-a'].map(async (ns) => [ns, await startCapture(path(ns))] as const));
    try {
      await attack('sky-a', { kind: 'spoof', label: 'allnodes', srcMac: p('sky-a').mac, dstMac: '33:33:00:00:00:01', dstIp: 'ff02::1', src: p('sky-a').ll, count: 3 });
      await new Promise((r) => setTimeout(r, 300));
    } catch (err) {
      for (const [, c] of caps) c.abort();
      throw err;
    }
    const got: Record<string, number> = {};
    for (const [ns, c] of caps) got[ns] = (await c.stop())['allnodes']?.frames ?? 0;
    expect(got).toEqual({ 'sky-b': 3, 'sky-c': 3, 'sea-a': 0, 'sun-a': 0 });
  });

  it('nsvswitch trace takes IPv6 addresses and --proto icmp6|nd|tcp/PORT, and explains the verdicts', async () => {
    const c = env.config();
    const cfg = ['--ovsdb', c.ovsdb, '--ovs-rundir', c.ovsRundir, '--bridge', c.bridge, '--host-netns', env.sb.hostNetns];
    const t = (...args: string[]): Promise<{ code: number; out: string }> => traceCmd([...args, ...cfg]);
    const same = await t('sky-a', p('sky-b').ip6!);
    expect(same.code, same.out).toBe(0);
    expect(same.out).toContain(`sky-a (${p('sky-a').ip6}) -> ${p('sky-b').ip6}`);
    const ll = await t('sky-a', p('sky-c').ll, '--proto', 'tcp/80');
    expect(ll.code, ll.out).toBe(0);
    expect(ll.out).toContain('[tcp6/80]');
    const nd = await t('sky-a', 'sky-b', '--proto', 'nd');
    expect(nd.code, nd.out).toBe(0);
    expect(nd.out).toContain(`the switch answered the neighbour solicitation itself: ${p('sky-b').ip6} is at ${p('sky-b').mac}`);
    const cross = await t('sky-a', 'sea-a', '--proto', 'icmp6');
    expect(cross.code, cross.out).toBe(1);
    expect(cross.out).toContain('tenants are isolated');
    const v4only = await t('sun-a', 'sun-b', '--proto', 'icmp6');
    expect(v4only.code).toBe(1);
    expect(v4only.out).toContain('tenant "sun" has no IPv6 prefix');
  });
});

