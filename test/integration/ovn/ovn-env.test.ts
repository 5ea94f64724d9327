import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { OvnEnv, type HandPlug, type OvnHost } from '../../helpers/ovn-env.js';
import { eventually } from '../../helpers/agent-env.js';
import type { TrafficPair } from '../../helpers/traffic.js';
import { isAlive, readPidFile } from '../../../src/sandbox/pid-file.js';
import { run } from '../../../src/exec/run.js';
import { trafficSettles } from './settle-traffic.js';
import { spoofAcross } from './spoof-frames.js';

/**
 * The OVN environment on its own, with no agent: OVN wired the way its own
 * drivers do it (ovn-nbctl for the logical ports, a hand-made veth with
 * external_ids:iface-id for the binding). It proves the env carries real
 * traffic across hosts, and it is the positive control of the agent's
 * attack tests: without port_security a spoofed source gets through here,
 * so a drop seen with the agent is the agent's doing.
 */

interface Workload extends HandPlug {
  readonly host: number;
  readonly ls: string;
  readonly ip: string;
  path?: string;
}

const WORKLOADS: Workload[] = [
  { host: 0, ls: 'blue', ns: 'blue-a', hostIf: 'w-blue-a', iface: 'lsp-blue-a', mac: '0a:00:00:01:00:0a', ip: '10.0.1.10', cidr: '10.0.1.10/24' },
  { host: 1, ls: 'blue', ns: 'blue-b', hostIf: 'w-blue-b', iface: 'lsp-blue-b', mac: '0a:00:00:01:00:0b', ip: '10.0.1.11', cidr: '10.0.1.11/24' },
  { host: 2, ls: 'blue', ns: 'blue-c', hostIf: 'w-blue-c', iface: 'lsp-blue-c', mac: '0a:00:00:01:00:0c', ip: '10.0.1.12', cidr: '10.0.1.12/24' },
  // Another logical switch, same subnet: on-link from blue without any route.
  { host: 1, ls: 'red', ns: 'red-b', hostIf: 'w-red-b', iface: 'lsp-red-b', mac: '0a:00:00:02:00:0d', ip: '10.0.1.13', cidr: '10.0.1.13/24' },
];
const w = (ns: string): Workload => WORKLOADS.find((x) => x.ns === ns)!;

describe('OVN test environment (no agent)', () => {
  let env: OvnEnv;
  let hosts: OvnHost[];
  beforeAll(async () => {
    const t0 = Date.now();
    env = await OvnEnv.start({ label: 'ovn-env', configureOvn: true });
    hosts = env.hosts;
    console.log(`[ovn-env] 3-member NB and SB clusters, northd, 3 hosts up in ${Date.now() - t0} ms`);
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('runs clustered NB and SB databases with one leader each, and every chassis registers', async () => {
    for (const db of ['nb', 'sb'] as const) {
      const leader = await env.leader(db);
      expect(leader).toBeTypeOf('number');
      for (const i of [0, 1, 2]) expect(await env.clusterStatus(db, i)).toMatch(/^Status: cluster member$/m);
    }
    const chassis = (await env.rows('sb', 'Chassis', ['name'])).map((r) => r.name).sort();
    expect(chassis).toEqual(['h1', 'h2', 'h3']);
    const encaps = await env.rows('sb', 'Encap', ['type', 'ip']);
    expect(encaps.map((e) => `${String(e.type)} ${String(e.ip)}`).sort()).toEqual(hosts.map((h) => `geneve ${h.encapIp}`).sort());
  });

  it('carries TCP and UDP across hosts within a logical switch and nothing between switches', async () => {
    await env.nbctl('ls-add', 'blue', '--', 'ls-add', 'red');
    for (const x of WORKLOADS) {
      // addresses, no port_security: the positive control of the spoofing test below.
      await env.nbctl('lsp-add', x.ls, x.iface, '--', 'lsp-set-addresses', x.iface, `${x.mac} ${x.ip}`);
    }
    await Promise.all(WORKLOADS.map(async (x) => {
      x.path = await env.plugByHand(hosts[x.host]!, x);
    }));
    for (const x of WORKLOADS) {
      await eventually(`ovn-installed on ${x.hostIf} (${hosts[x.host]!.name})`, () => hosts[x.host]!.ovnInstalled(x.hostIf), 60_000, 200);
    }
    const bindings = await env.rows('sb', 'Port_Binding', ['logical_port', 'chassis']);
    expect(bindings.filter((b) => WORKLOADS.some((x) => x.iface === b.logical_port) && typeof b.chassis === 'string' && b.chassis !== '')).toHaveLength(WORKLOADS.length);

    // Permanent neighbours across the switches: frames really leave for the other switch's ports.
    for (const [x, y] of [[w('blue-a'), w('red-b')], [w('red-b'), w('blue-a')], [w('red-b'), w('blue-b')]] as const) {
      await run('ip', ['neigh', 'replace', y.ip, 'lladdr', y.mac, 'nud', 'permanent', 'dev', 'eth0'], { netns: x.path! });
    }
    const blue = WORKLOADS.filter((x) => x.ls === 'blue');
    const pairs: TrafficPair[] = [
      ...blue.flatMap((a) => blue.filter((b) => b !== a).map((b) => ({ from: a.path!, to: b.path!, ip: b.ip, label: `${a.ns}@${hosts[a.host]!.name} -> ${b.ns}@${hosts[b.host]!.name}` }))),
      { from: w('blue-a').path!, to: w('red-b').path!, ip: w('red-b').ip, label: 'blue-a@h1 -> red-b@h2' },
      { from: w('red-b').path!, to: w('blue-a').path!, ip: w('blue-a').ip, label: 'red-b@h2 -> blue-a@h1' },
      { from: w('red-b').path!, to: w('blue-b').path!, ip: w('blue-b').ip, label: 'red-b@h2 -> blue-b@h2 (same host)' },
    ];
    const problems = await trafficSettles(pairs, (r) => !r.label.includes('red'));
    expect(problems).toEqual([]);
  });

  it('lets a spoofed source MAC or IP through without port_security, and drops it with port_security', async () => {
    const a = w('blue-a'), b = w('blue-b');
    const spec = {
      dstMac: b.mac, dstIp: b.ip,
      frames: [
        { kind: 'genuine', srcMac: a.mac, srcIp: a.ip },
        { kind: 'spoof-ip', srcMac: a.mac, srcIp: '10.0.1.99' },
        { kind: 'spoof-mac', srcMac: '0a:00:00:01:00:99', srcIp: a.ip },
      ],
    };
    const open = await spoofAcross(a.path!, b.path!, spec);
    const arrived = (r: typeof open, kind: string): number => r.received[kind]?.frames ?? 0;
    // Every kind gets through (any of its copies arriving will do: no timing bets).
    expect(spec.frames.filter((f) => arrived(open, f.kind) === 0).map((f) => f.kind), `arrived: ${JSON.stringify(open.received)}`).toEqual([]);

    await env.nbctl('--wait=hv', 'lsp-set-port-security', a.iface, `${a.mac} ${a.ip}`);
    const locked = await spoofAcross(a.path!, b.path!, spec);
    expect(arrived(locked, 'genuine')).toBeGreaterThan(0);
    expect({ spoofIp: arrived(locked, 'spoof-ip'), spoofMac: arrived(locked, 'spoof-mac') }).toEqual({ spoofIp: 0, spoofMac: 0 });
  });

  it('kills the northbound leader: another member leads and writes go on; the old one rejoins', async () => {
    const old = await env.nbLeader();
    expect(old).toBeTypeOf('number');
    await env.killMember('nb', old!);
    const next = await env.waitCluster('nb');
    expect(next).not.toBe(old);
    // One committed write moves the Raft log end by one: the agent's zero-write check rests on it.
    const before = await env.raftLog('nb');
    await env.nbctl('ls-add', 'after-failover');
    const after = await env.raftLog('nb');
    expect(after!.term === before!.term ? after!.end - before!.end : 1).toBe(1);
    await env.startMember('nb', old!);
    await env.waitCluster('nb');
    expect(await env.clusterStatus('nb', old!)).toMatch(/^Status: cluster member$/m);
    expect(await env.nbctl('--bare', '--columns=name', 'find', 'Logical_Switch', 'name=after-failover')).toContain('after-failover');
  });

  it('brings traffic back after ovn-controller restarts', async () => {
    const a = w('blue-a'), c = w('blue-c');
    const before = await hosts[0]!.controllerPid();
    await env.restartOvnController(hosts[0]!);
    expect(await hosts[0]!.controllerPid()).not.toBe(before);
    const problems = await trafficSettles([{ from: a.path!, to: c.path!, ip: c.ip, label: 'blue-a@h1 -> blue-c@h3' }], () => true, 10);
    expect(problems).toEqual([]);
  });

  it('stop() leaves no daemon, namespace or link behind', async () => {
    const pids = (await Promise.all(env.pidFiles().map((f) => readPidFile(f)))).filter((p): p is number => p !== undefined);
    expect(pids).toHaveLength(6 + 1 + 3 * 3);
    expect(pids.every((p) => isAlive(p))).toBe(true);
    const dir = env.dir;
    await env.stop();
    expect(pids.filter((p) => isAlive(p))).toEqual([]);
    expect(await readFile('/proc/self/mounts', 'utf8')).not.toContain(dir);
    expect(existsSync(dir)).toBe(false);
    env = undefined as unknown as OvnEnv;
  });
});
