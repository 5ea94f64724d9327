/**
 * Egress through a tenant gateway: iperf3 TCP throughput and new TCP
 * connections per second from a workload to a server behind the host's
 * uplink, in the same run as the floor: the same workload veth wired by
 * hand into the host stack (its host end carries the gateway address),
 * plain host routing and one nftables masquerade rule. Configurations
 * alternate per round; ratios are each path / floor.
 *
 *   npx tsx bench/gateway.ts [--rounds 3] [--seconds 5] [--omit-s 1] [--conn-seconds 3]
 *
 * Paths (each its own private OVS and host namespace):
 * - floor: workload veth → host routing + masquerade → uplink veth (no switch).
 * - nsvswitch: the real agent (in this process) on a userspace OVS (netdev),
 *   defaults: workload tx checksum offload off; path workload veth →
 *   ovs-vswitchd → gateway internal port (tap) → host routing + nsvswitch's
 *   nftables (filter, masquerade) → uplink veth.
 * - nsvswitch-tso: the same agent with `txChecksumOffload: keep` on an
 *   ovs-vswitchd started with other_config:userspace-tso-enable=true (the
 *   workload keeps TSO; ovs-vswitchd hands 64 KiB segments to the tap).
 * - ovs-tap, ovs-veth: no agent, a bridge with one NORMAL flow on an
 *   ovs-vswitchd with userspace TSO, the gateway as an internal port (tap)
 *   or as a veth pair (host end addressed, other end on the bridge, offloads
 *   kept): the port type compared alone.
 */
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { Agent } from '../src/agent/agent.js';
import { DEFAULT_CONFIG } from '../src/config/index.js';
import { run } from '../src/exec/run.js';
import { silentLogger } from '../src/observe/logger.js';
import { PrivateNetnsDir } from '../src/sandbox/private-netns-dir.js';
import { readPidFile } from '../src/sandbox/pid-file.js';
import { deferCleanup, installSignalCleanup, isInterrupted, runAllCleanups, runBench } from './lib/cleanup.js';
import { formatBitrate, formatRatio, ratio } from './lib/format.js';
import { iperf3Test, type Iperf3ClientOptions, type Iperf3Outcome } from './lib/iperf3.js';
import { machineInfo, writeResult } from './lib/results.js';
import { benchRoot, startBenchSandbox } from './lib/sandbox.js';
import { renderTable, type Table } from './lib/table.js';
import { roundOrder, summarizeOutcomes } from './lib/throughput-rounds.js';

const BRIDGE = 'br-gwbench';
const UPLINK = { host: '192.0.2.1', outside: '192.0.2.254', prefix: 24 };
const TENANT = { subnet: '10.90.0.0/24', gateway: '10.90.0.1' };
const IPERF_PORT = 5201;
const CONN_PORT = 5300;

const CONFIGS = ['floor', 'nsvswitch', 'nsvswitch-tso', 'ovs-tap', 'ovs-veth'] as const;
type ConfigName = (typeof CONFIGS)[number];
const LABELS: Record<ConfigName, string> = {
  floor: 'floor: veth into the host stack, routing + nftables masquerade',
  nsvswitch: 'nsvswitch (defaults): netdev, tx csum off, gateway tap (SNAT)',
  'nsvswitch-tso': 'nsvswitch, txChecksumOffload keep + OVS userspace TSO',
  'ovs-tap': 'OVS userspace TSO, NORMAL, gateway internal port (tap)',
  'ovs-veth': 'OVS userspace TSO, NORMAL, gateway veth pair',
};
const USERSPACE_TSO = { 'userspace-tso-enable': 'true' } as const;
const FLOOR_NAT = `table ip floor_nat {\n  chain post {\n    type nat hook postrouting priority 100; policy accept;\n    ip saddr ${TENANT.subnet} oifname "uplink0" masquerade\n  }\n}\n`;

/** A workload that reaches the outside through some path, and the outside namespace. */
interface Path {
  readonly name: ConfigName;
  readonly workloadNs: string;
  readonly outsideNs: string;
  /** The path's ovs-vswitchd (none for the floor): its CPU time is where the switch's share goes. */
  readonly vswitchdPid?: number;
  /** Where ovs-vswitchd's packet sockets live (none for the floor). */
  readonly hostNs?: string;
  readonly stop: () => Promise<void>;
}

/**
 * Packets the kernel dropped at packet sockets in `ns` (ovs-vswitchd reads
 * veths with one each; a full receive buffer drops): the sum of `d` in
 * `ss -0 -m` skmem.
 */
async function packetSocketDrops(ns: string): Promise<number> {
  const out = (await run('ss', ['-0', '-a', '-n', '-m'], { netns: ns })).stdout;
  return [...out.matchAll(/skmem:\([^)]*\bd(\d+)\)/g)].reduce((n, m) => n + Number(m[1]), 0);
}

/** CPU seconds (user + system) a process has used so far, from /proc/PID/stat. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 (utime, stime) are at 11 and 12 after the command; clock ticks, 100 per second on Linux.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const ipIn = (ns: string, lines: readonly string[]) => run('ip', ['-batch', '-'], { netns: ns, input: `${lines.join('\n')}\n` });

/** The uplink: a veth from `hostNs` to `outsideNs`, forwarding on in the host. */
async function uplink(hostNs: string, outsideNs: string): Promise<void> {
  await run('ip', ['link', 'add', 'uplink0', 'type', 'veth', 'peer', 'name', 'wan0', 'netns', outsideNs], { netns: hostNs });
  await ipIn(hostNs, ['link set lo up', `addr add ${UPLINK.host}/${UPLINK.prefix} dev uplink0`, 'link set uplink0 up']);
  await ipIn(outsideNs, ['link set lo up', `addr add ${UPLINK.outside}/${UPLINK.prefix} dev wan0`, 'link set wan0 up']);
  await run('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1'], { netns: hostNs });
}

async function floorPath(): Promise<Path> {
  const dir = await mkdtemp(join(benchRoot(), 'nsvs-gw-floor-'));
  const removeDir = deferCleanup(`floor dir ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const nsDir = await PrivateNetnsDir.create(join(dir, 'netns'));
  const destroy = deferCleanup(`floor namespaces ${dir}`, () => nsDir.destroy());
  try {
    const [host, outside, workload] = await nsDir.add('host', 'outside', 'workload');
    await uplink(host!, outside!);
    // The same veth as a plugged workload's: the host end carries the gateway address.
    await run('ip', ['link', 'add', 'gw0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', workload!], { netns: host });
    await ipIn(host!, [`addr add ${TENANT.gateway}/24 dev gw0`, 'link set gw0 up']);
    await ipIn(workload!, ['link set lo up', 'addr add 10.90.0.2/24 dev eth0', 'link set eth0 up', `route add default via ${TENANT.gateway}`]);
    await run('nft', ['-f', '-'], { netns: host, input: FLOOR_NAT });
    return { name: 'floor', workloadNs: workload!, outsideNs: outside!, stop: async () => { await destroy(); await removeDir(); } };
  } catch (err) {
    await destroy();
    await removeDir();
    throw err;
  }
}

/** A bridge with one NORMAL flow on an ovs-vswitchd with userspace TSO; the gateway an internal port or a veth pair. */
async function handPath(name: 'ovs-tap' | 'ovs-veth'): Promise<Path> {
  const { sb, stop: stopSb } = await startBenchSandbox(`gw-${name}`, BRIDGE, { vswitchdOtherConfig: USERSPACE_TSO });
  try {
    const host = sb.hostNetns;
    const [outside, workload] = await sb.netnsDir.add('outside', 'workload');
    await uplink(host, outside!);
    await run('ip', ['link', 'add', 'wl0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', workload!], { netns: host });
    await ipIn(host, ['link set wl0 up']);
    await ipIn(workload!, ['link set lo up', 'addr add 10.90.0.2/24 dev eth0', 'link set eth0 up', `route add default via ${TENANT.gateway}`]);
    await sb.vsctl('add-port', BRIDGE, 'wl0');
    if (name === 'ovs-tap') {
      await sb.vsctl('add-port', BRIDGE, 'gw0', '--', 'set', 'Interface', 'gw0', 'type=internal');
    } else {
      await run('ip', ['link', 'add', 'gw0', 'type', 'veth', 'peer', 'name', 'gwbr0'], { netns: host });
      await ipIn(host, ['link set gwbr0 up']);
      await sb.vsctl('add-port', BRIDGE, 'gwbr0');
    }
    // ovs-vswitchd creates the tap when it applies the port: wait for it.
    const deadline = Date.now() + 10_000;
    while ((await run('ip', ['link', 'show', 'gw0'], { netns: host, okExitCodes: [1] })).exitCode !== 0) {
      if (Date.now() > deadline) throw new Error(`gateway bench ${name}: gw0 not created`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await ipIn(host, [`addr add ${TENANT.gateway}/24 dev gw0`, 'link set gw0 up']);
    await sb.ofctl('add-flow', BRIDGE, 'priority=0,actions=NORMAL');
    await run('nft', ['-f', '-'], { netns: host, input: FLOOR_NAT });
    return { name, workloadNs: workload!, outsideNs: outside!, vswitchdPid: await readPidFile(sb.vswitchdPidFile), hostNs: host, stop: stopSb };
  } catch (err) {
    await stopSb();
    throw err;
  }
}

async function nsvswitchPath(name: 'nsvswitch' | 'nsvswitch-tso'): Promise<Path> {
  const tso = name === 'nsvswitch-tso';
  const { sb, stop: stopSb } = await startBenchSandbox(`gw-${name}`, undefined, tso ? { vswitchdOtherConfig: USERSPACE_TSO } : {});
  let agent: Agent | undefined;
  const stopAgent = deferCleanup('gateway bench agent', async () => {
    await agent?.stop();
  });
  try {
    const [outside] = await sb.netnsDir.add('outside');
    await uplink(sb.hostNetns, outside!);
    const workloads = await PrivateNetnsDir.create(join(sb.dir, 'workloads'));
    const [workload] = await workloads.add('gw-0');
    const manifestDir = join(sb.dir, 'tenants.d');
    await mkdir(manifestDir, { recursive: true });
    await writeFile(join(manifestDir, 'bench.yaml'), `apiVersion: nsvswitch/v1\nkind: Tenant\nmetadata: { name: gwbench }\nspec:\n  id: 900\n  subnet: ${TENANT.subnet}\n  gateway: ${TENANT.gateway}\n  namespaces: ["gw-*"]\n`);
    agent = await Agent.start({
      ...DEFAULT_CONFIG, ovsdb: sb.dbEndpoint, ovsRundir: sb.dir, bridge: BRIDGE, datapathType: 'netdev', manifestDir,
      namespaceDirs: [workloads.dir], hostNetns: sb.hostNetns, metricsListen: '127.0.0.1:0', logLevel: 'warn',
      ...(tso ? { txChecksumOffload: 'keep' as const } : {}),
    }, { logger: silentLogger(), http: false });
    await agent.ready;
    const deadline = Date.now() + 30_000;
    while (agent.status().namespaces[0]?.state !== 'ready' || agent.status().tenants[0]?.gateway?.state !== 'ready') {
      if (Date.now() > deadline) throw new Error(`gateway bench: workload not ready: ${JSON.stringify(agent.status())}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      name, workloadNs: workload!, outsideNs: outside!, vswitchdPid: await readPidFile(sb.vswitchdPidFile), hostNs: sb.hostNetns,
      stop: async () => {
        await stopAgent();
        await workloads.destroy().catch(() => undefined);
        await stopSb();
      },
    };
  } catch (err) {
    await stopAgent();
    await stopSb();
    throw err;
  }
}

/** A node script: `serve IP PORT` accepts and closes connections; `connect IP PORT SECONDS` opens as many as it can, 8 at a time. */
const CONN_SCRIPT = `
const net = require('node:net');
const [mode, ip, port, seconds] = process.argv.slice(1);
if (mode === 'serve') {
  const s = net.createServer((c) => { c.on('error', () => {}); c.end('x'); });
  s.listen(Number(port), ip, () => console.log('listening'));
  setTimeout(() => process.exit(0), 120000).unref();
} else {
  const end = Date.now() + Number(seconds) * 1000;
  let done = 0, failed = 0;
  const one = () => new Promise((resolve) => {
    const c = net.connect({ host: ip, port: Number(port) });
    c.on('error', () => { failed++; resolve(); });
    c.on('data', () => {});
    c.on('close', () => { done++; resolve(); });
  });
  const worker = async () => { while (Date.now() < end) await one(); };
  Promise.all(Array.from({ length: 8 }, worker)).then(() => { console.log(JSON.stringify({ done, failed, seconds: Number(seconds) })); });
}
`;

async function connectionsPerSecond(p: Path, seconds: number): Promise<{ perSecond: number; failed: number }> {
  const server = spawn('nsenter', [`--net=${p.outsideNs}`, '--', process.execPath, '-e', CONN_SCRIPT, 'serve', UPLINK.outside, String(CONN_PORT)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const kill = deferCleanup(`connection server (pid ${server.pid ?? '?'})`, async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGKILL');
      await new Promise((r) => server.once('exit', r));
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('connection server did not start')), 10_000);
      server.stdout.on('data', (c: Buffer) => {
        if (c.toString().includes('listening')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    const r = await run(process.execPath, ['-e', CONN_SCRIPT, 'connect', UPLINK.outside, String(CONN_PORT), String(seconds)], { netns: p.workloadNs, timeoutMs: seconds * 1000 + 30_000 });
    const j = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { done: number; failed: number; seconds: number };
    return { perSecond: (j.done - j.failed) / j.seconds, failed: j.failed };
  } finally {
    await kill();
  }
}

async function main(): Promise<void> {
  installSignalCleanup();
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '5' }, 'omit-s': { type: 'string', default: '1' }, 'conn-seconds': { type: 'string', default: '3' } } });
  const rounds = Number(values.rounds);
  const iperf: Iperf3ClientOptions = { port: IPERF_PORT, seconds: Number(values.seconds), omitSeconds: Number(values['omit-s']), udp: false, connectTimeoutMs: 3000 };
  const connSeconds = Number(values['conn-seconds']);
  const startedAt = new Date().toISOString();
  const machine = await machineInfo();
  const paths = new Map<ConfigName, Path>();
  const tcp = new Map<ConfigName, Iperf3Outcome[]>(CONFIGS.map((c) => [c, []]));
  const conns = new Map<ConfigName, number[]>(CONFIGS.map((c) => [c, []]));
  const switchCpu = new Map<ConfigName, number[]>(CONFIGS.map((c) => [c, []]));
  const socketDrops = new Map<ConfigName, number[]>(CONFIGS.map((c) => [c, []]));
  try {
    paths.set('floor', await floorPath());
    paths.set('nsvswitch', await nsvswitchPath('nsvswitch'));
    paths.set('nsvswitch-tso', await nsvswitchPath('nsvswitch-tso'));
    paths.set('ovs-tap', await handPath('ovs-tap'));
    paths.set('ovs-veth', await handPath('ovs-veth'));
    for (let round = 0; round < rounds && !isInterrupted(); round++) {
      for (const name of roundOrder(CONFIGS, round)) {
        const p = paths.get(name)!;
        const cpu0 = p.vswitchdPid !== undefined ? await cpuSeconds(p.vswitchdPid) : undefined;
        const drops0 = p.hostNs !== undefined ? await packetSocketDrops(p.hostNs) : undefined;
        const t0 = performance.now();
        tcp.get(name)!.push(await iperf3Test(p.workloadNs, p.outsideNs, UPLINK.outside, iperf));
        if (drops0 !== undefined) socketDrops.get(name)!.push((await packetSocketDrops(p.hostNs!)) - drops0);
        if (cpu0 !== undefined) switchCpu.get(name)!.push((100 * ((await cpuSeconds(p.vswitchdPid!)) - cpu0)) / ((performance.now() - t0) / 1000));
        conns.get(name)!.push((await connectionsPerSecond(p, connSeconds)).perSecond);
        process.stderr.write(`round ${round + 1}/${rounds} ${name} done\n`);
      }
    }
  } finally {
    for (const p of paths.values()) await p.stop().catch((e: unknown) => process.stderr.write(`cleanup: ${String(e)}\n`));
    await runAllCleanups();
  }
  const median = (xs: readonly number[]): number | undefined => {
    if (xs.length === 0) return undefined;
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor((s.length - 1) / 2)];
  };
  const sum = Object.fromEntries(CONFIGS.map((c) => [c, summarizeOutcomes(tcp.get(c)!)])) as Record<ConfigName, ReturnType<typeof summarizeOutcomes>>;
  const conn = Object.fromEntries(CONFIGS.map((c) => [c, median(conns.get(c)!)])) as Record<ConfigName, number | undefined>;
  const bps = (c: ConfigName): number | undefined => sum[c].medianBps;
  const table: Table = {
    title: `Gateway egress (${rounds} rounds, TCP ${iperf.seconds} s each, connections ${connSeconds} s each; medians)`,
    headers: ['path', 'TCP throughput', 'ratio', 'retransmits', 'packet socket drops', 'ovs-vswitchd CPU', 'new connections/s', 'ratio'],
    rows: CONFIGS.map((c) => [LABELS[c], formatBitrate(bps(c)), c === 'floor' ? '1.00x' : formatRatio(ratio(bps(c), bps('floor'))), sum[c].medianRetransmits === undefined ? '-' : String(sum[c].medianRetransmits), median(socketDrops.get(c)!) === undefined ? '-' : String(median(socketDrops.get(c)!)), median(switchCpu.get(c)!) === undefined ? '-' : `${median(switchCpu.get(c)!)!.toFixed(0)}%`, conn[c] === undefined ? '-' : conn[c]!.toFixed(0), c === 'floor' ? '1.00x' : formatRatio(ratio(conn[c], conn.floor))]),
    notes: [
      'Ratios are path / floor (higher is better). The floor has no switch at all: the workload veth goes straight into the host stack.',
      'Packet socket drops: frames the kernel dropped at ovs-vswitchd\'s packet sockets (receive buffer full) during the iperf3 test; each is a TCP segment (up to 64 KiB with TSO) to retransmit.',
      'ovs-vswitchd CPU: its user + system time during the iperf3 test (including iperf3 start and stop), % of one core.',
    ],
  };
  process.stdout.write(`${renderTable(table)}\n`);
  await writeResult({
    name: 'gateway', startedAt, finishedAt: new Date().toISOString(), machine,
    params: { rounds, iperf, connSeconds },
    results: { tcp: Object.fromEntries(CONFIGS.map((c) => [c, tcp.get(c)])), tcpSummary: sum, connectionsPerSecond: Object.fromEntries(CONFIGS.map((c) => [c, conns.get(c)])), vswitchdCpuPercent: Object.fromEntries(CONFIGS.map((c) => [c, switchCpu.get(c)])), packetSocketDrops: Object.fromEntries(CONFIGS.map((c) => [c, socketDrops.get(c)])), ratios: Object.fromEntries(CONFIGS.map((c) => [c, { throughput: ratio(bps(c), bps('floor')), connectionsPerSecond: ratio(conn[c], conn.floor) }])) },
    summary: [table],
  });
}

runBench('bench/gateway', main);
