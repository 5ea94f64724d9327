/**
 * Throughput between two workloads of one tenant: iperf3 TCP (and UDP)
 * through the netdev bridge as nsvswitch plugs them (a real agent, the bench
 * tenant manifest, two namespaces), paired in the same run with the floor
 * (two namespaces joined by a plain veth pair) and with OVS's own fix for
 * checksum offload on the userspace datapath (`other_config:userspace-tso-enable=true`,
 * set before ovs-vswitchd starts, on a bridge the same agent plugs, offloads
 * left on). A few rounds, configurations in alternating order; the ratios
 * are taken against the floor.
 *
 *   npx tsx bench/throughput.ts [--rounds 3] [--seconds 5] [--udp-seconds 3]
 *     [--omit-s 1] [--configs floor,nsvswitch,tso] [--quick] [--agent-bin PATH]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { run } from '../src/exec/run.js';
import { readPidFile } from '../src/sandbox/pid-file.js';
import { PrivateNetnsDir } from '../src/sandbox/private-netns-dir.js';
import { benchNames } from './lib/addresses.js';
import { AgentBench } from './lib/agent-bench.js';
import { privateAgentBuild } from './lib/agent-build.js';
import { AGENT_IF_NAME, AGENT_MTU } from './lib/burst/nsvswitch.js';
import { deferCleanup, installSignalCleanup, isInterrupted, runBench } from './lib/cleanup.js';
import { formatBitrate, formatRatio, ratio } from './lib/format.js';
import { iperf3Test, type Iperf3ClientOptions, type Iperf3Outcome } from './lib/iperf3.js';
import { httpGetInNetns } from './lib/http-in-netns.js';
import { formatOffloads, readOffloads, type OffloadState } from './lib/offloads.js';
import { readNsInterface } from './lib/netns-check.js';
import { droppedBetween, parseDumpPorts, type PortCounters } from './lib/ofctl-ports.js';
import { processCpuSeconds } from './lib/process-cpu.js';
import { benchSize, quickMode } from './lib/quick.js';
import { machineInfo, publishResult } from './lib/results.js';
import { benchRoot } from './lib/sandbox.js';
import { percentile } from './lib/stats.js';
import type { Table } from './lib/table.js';
import { pairedRatios, roundOrder, summarizeOutcomes, type OutcomeSummary } from './lib/throughput-rounds.js';
import { nowMs, pollUntil, withTimeout } from './lib/timing.js';

const BRIDGE = 'br-bench';
const IF_NAME = AGENT_IF_NAME;
const IPERF_PORT = 5201;
/** A path that cannot carry TCP fails at connect: no need to wait longer than this. */
const CONNECT_TIMEOUT_MS = 3000;
const WORKLOADS_READY_TIMEOUT_MS = 60_000;
/** What ovs-vswitchd logs when it read userspace-tso-enable=true at start (lib/userspace-tso.c). */
const TSO_LOG_LINE = /Userspace TCP Segmentation Offloading support enabled/i;

const CONFIGS = ['floor', 'nsvswitch', 'tso'] as const;
type ConfigName = (typeof CONFIGS)[number];
const LABELS: Record<ConfigName, string> = {
  floor: 'floor: plain veth pair',
  nsvswitch: 'nsvswitch (netdev bridge)',
  tso: 'OVS userspace-tso-enable, offloads on',
};

/** Two namespaces that can reach each other, as one configuration joins them. */
interface Pair {
  readonly name: ConfigName;
  readonly clientNs: string;
  readonly serverNs: string;
  readonly clientIp: string;
  readonly serverIp: string;
  /** Offloads of the workload ends (eth0 in each namespace) when the rounds started. */
  readonly offloads: { readonly client?: OffloadState; readonly server?: OffloadState };
  readonly notes: string[];
  /** The configuration's ovs-vswitchd (none for the floor), whose CPU use is read around each test. */
  readonly vswitchdPid?: number;
  /** The bridge's OpenFlow port counters now (none for the floor, or when the dump fails). */
  readonly ports?: () => Promise<Map<string, PortCounters> | undefined>;
  readonly stop: () => Promise<void>;
}

/** The floor: a veth pair whose ends are the two namespaces' eth0, nothing between them (offloads as the kernel sets them). */
async function floorPair(): Promise<Pair> {
  const dir = await mkdtemp(join(benchRoot(), 'nsvs-tput-floor-'));
  const removeDir = deferCleanup(`floor dir ${dir}`, () => rm(dir, { recursive: true, force: true }));
  let destroyNs: (() => Promise<void>) | undefined;
  try {
    const nsDir = await PrivateNetnsDir.create(join(dir, 'netns'));
    destroyNs = deferCleanup(`floor namespaces in ${nsDir.dir}`, () => nsDir.destroy());
    const [a, b] = (await nsDir.add('tput-a', 'tput-b')) as [string, string];
    if (/\s/.test(b)) throw new Error(`floor: namespace path ${JSON.stringify(b)} contains whitespace (ip -batch would split it)`);
    const [clientIp, serverIp] = ['10.77.0.2', '10.77.0.3'];
    await run('ip', ['-batch', '-'], { netns: a, input: `link add ${IF_NAME} mtu ${AGENT_MTU} type veth peer name ${IF_NAME} netns ${b}\nlink set lo up\nlink set ${IF_NAME} up\naddr add ${clientIp}/16 dev ${IF_NAME}\n` });
    await run('ip', ['-batch', '-'], { netns: b, input: `link set lo up\nlink set ${IF_NAME} up\naddr add ${serverIp}/16 dev ${IF_NAME}\n` });
    const offloads = { client: await readOffloads(a, IF_NAME), server: await readOffloads(b, IF_NAME) };
    const destroy = destroyNs;
    return {
      name: 'floor', clientNs: a, serverNs: b, clientIp, serverIp, offloads, notes: [],
      stop: async () => {
        await destroy();
        await removeDir();
      },
    };
  } catch (err) {
    await destroyNs?.();
    await removeDir();
    throw err;
  }
}

/**
 * Two workloads of the bench tenant, plugged by a real agent on its own
 * sandbox, as the agent leaves them. `tso`: ovs-vswitchd starts with
 * userspace-tso-enable=true and the agent runs with `--tx-checksum-offload
 * keep`, so the workload ends keep tx checksum offload (and TSO) on.
 */
async function agentPair(name: 'nsvswitch' | 'tso', agentBin: string, log: (m: string) => void): Promise<Pair> {
  const tso = name === 'tso';
  const bench = await AgentBench.create({
    label: `tput-${name}`, bridge: BRIDGE, agentBin,
    ...(tso ? { sandbox: { vswitchdOtherConfig: { 'userspace-tso-enable': 'true' } }, agentArgs: ['--tx-checksum-offload', 'keep'] } : {}),
  });
  const notes: string[] = [];
  try {
    if (tso) {
      // Only a daemon that started with the setting has it: check the daemon's own word, not just the database.
      const line = await pollUntil('ovs-vswitchd to log userspace TSO enabled', async () => {
        const tail = await bench.sb.logTail('ovs-vswitchd', 400);
        return tail.split('\n').find((l) => TSO_LOG_LINE.test(l));
      }, 10_000, 100).catch(() => undefined);
      if (line === undefined) throw new Error(`ovs-vswitchd did not log "${TSO_LOG_LINE.source}" after starting with other_config:userspace-tso-enable=true`);
      notes.push(`ovs-vswitchd: ${line.replace(/^.*\|/, '').trim()}`);
    }
    const started = await bench.startAgent();
    log(`${name}: agent pid ${started.agent.pid ?? '?'} ready`);
    const [clientNs, serverNs] = (await bench.sb.netnsDir.add(...benchNames('bench-', 2))) as [string, string];
    await bench.waitReady(`${name}: 2 workloads ready`, [clientNs, serverNs], WORKLOADS_READY_TIMEOUT_MS).catch(async (err: unknown) => {
      // Say why: the agent's last log lines and its own account of problems.
      const status = (await httpGetInNetns(bench.sb.hostNetns, `${bench.metricsUrl}/status`))?.body.slice(0, 600) ?? '(no /status answer)';
      throw new Error(`${err instanceof Error ? err.message : String(err)}; agent stderr: ${bench.agent?.lastLines(5) ?? '(not running)'}; /status: ${status}`);
    });
    const addr = async (ns: string): Promise<string> => {
      const ip = (await readNsInterface(ns, IF_NAME))?.ipv4[0]?.split('/')[0];
      if (ip === undefined) throw new Error(`${name}: no IPv4 address on ${IF_NAME} in ${ns}`);
      return ip;
    };
    const [clientIp, serverIp] = [await addr(clientNs), await addr(serverNs)];
    const asPlugged = { client: await readOffloads(clientNs, IF_NAME), server: await readOffloads(serverNs, IF_NAME) };
    notes.push(`as plugged by the agent: ${formatOffloads(asPlugged.client)} (client), ${formatOffloads(asPlugged.server)} (server)`);

    if (tso) {
      // This configuration is OVS's fix alone: the agent runs with txChecksumOffload: keep, so the ends keep it on.
      for (const role of ['client', 'server'] as const) {
        if (asPlugged[role]?.txChecksum !== true) throw new Error(`tso: the agent (txChecksumOffload: keep) left tx checksum offload ${String(asPlugged[role]?.txChecksum)} on the ${role}`);
      }
    }
    const offloads = { client: await readOffloads(clientNs, IF_NAME), server: await readOffloads(serverNs, IF_NAME) };
    const vswitchdPid = await readPidFile(bench.sb.vswitchdPidFile);
    const ports = async (): Promise<Map<string, PortCounters> | undefined> => {
      const r = await run('ovs-ofctl', ['-O', 'OpenFlow15', 'dump-ports', bench.sb.mgmt(BRIDGE)], { env: bench.sb.env, timeoutMs: 10_000 }).catch(() => undefined);
      return r ? parseDumpPorts(r.stdout) : undefined;
    };
    return { name, clientNs, serverNs, clientIp, serverIp, offloads, notes, ...(vswitchdPid !== undefined ? { vswitchdPid } : {}), ports, stop: () => bench.stop() };
  } catch (err) {
    await bench.stop();
    throw err;
  }
}

/** Three pings: does the path carry anything at all (ICMP checksums are computed in software, so it works where TCP may not)? */
async function pingOk(p: Pair): Promise<boolean> {
  const r = await run('ping', ['-c', '3', '-i', '0.2', '-W', '2', '-q', p.serverIp], { netns: p.clientNs, timeoutMs: 15_000, okExitCodes: [1, 2] });
  return r.exitCode === 0;
}

interface ConfigRun {
  readonly pair?: Pair;
  readonly setupError?: string;
  ping?: boolean;
  readonly tcp: Iperf3Outcome[];
  readonly udp: Iperf3Outcome[];
  /** ovs-vswitchd CPU over each test, % of one core (server start and warm-up included). */
  readonly vswitchdCpu: { readonly tcp: number[]; readonly udp: number[] };
  /** Packets the bridge's ports dropped (rx + tx) during each test. */
  readonly bridgeDrops: { readonly tcp: number[]; readonly udp: number[] };
  offloadsAfter?: { client?: OffloadState; server?: OffloadState };
}

function eachRound(s: OutcomeSummary): string {
  return s.receivedBps.length ? s.receivedBps.map((b) => formatBitrate(b)).join(', ') : '-';
}

function failure(c: ConfigRun, s?: OutcomeSummary): string | undefined {
  if (c.setupError !== undefined) return `setup failed: ${c.setupError}`;
  if (s && s.errors.length > 0) return `${s.rounds - s.ok} of ${s.rounds} rounds failed: ${s.errors.join('; ')}`;
  return undefined;
}

function cpuCell(s: OutcomeSummary): string {
  const f = (v: number | undefined): string => (v === undefined ? 'n/a' : `${v.toFixed(0)}%`);
  return `${f(s.medianSenderCpuPercent)} / ${f(s.medianReceiverCpuPercent)}`;
}

function vswitchdCell(values: readonly number[] | undefined): string {
  return values && values.length ? `${percentile(values, 50).toFixed(0)}%` : '-';
}

function countCell(values: readonly number[] | undefined): string {
  return values && values.length ? String(percentile(values, 50)) : '-';
}

function ratioNote(label: string, a: Iperf3Outcome[], b: Iperf3Outcome[], sa: OutcomeSummary, sb: OutcomeSummary): string {
  const per = pairedRatios(a, b);
  return `${label}: ${formatRatio(ratio(sa.medianBps, sb.medianBps))} (ratio of medians; per round ${per.length ? per.map((r) => formatRatio(r)).join(', ') : 'n/a'})`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      'udp-seconds': { type: 'string' },
      'omit-s': { type: 'string', default: '1' },
      configs: { type: 'string', default: CONFIGS.join(',') },
      quick: { type: 'boolean', default: false },
      'agent-bin': { type: 'string' },
    },
  });
  const quick = quickMode(values.quick);
  const rounds = benchSize(values.rounds, quick, { full: 3, quick: 1 }, '--rounds');
  const seconds = benchSize(values.seconds, quick, { full: 5, quick: 2 }, '--seconds');
  const udpSeconds = values['udp-seconds'] === '0' ? 0 : benchSize(values['udp-seconds'], quick, { full: 3, quick: 2 }, '--udp-seconds');
  const omitSeconds = Number(values['omit-s']);
  if (!Number.isInteger(omitSeconds) || omitSeconds < 0) throw new Error('--omit-s must be a whole number >= 0');
  const wanted = (values.configs ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const bad = wanted.filter((c) => !(CONFIGS as readonly string[]).includes(c));
  if (bad.length || wanted.length === 0) throw new Error(`--configs: unknown ${bad.join(', ') || '(none given)'} (known: ${CONFIGS.join(', ')})`);
  const configs = CONFIGS.filter((c) => wanted.includes(c));
  installSignalCleanup();

  const startedAt = new Date().toISOString();
  const machine = await machineInfo();
  const t0 = Date.now();
  const log = (msg: string): void => void process.stderr.write(`[throughput +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
  log(`${machine.cpus} CPUs, load ${machine.loadAvg1m.toFixed(2)}; ${rounds} round(s), TCP ${seconds} s (+${omitSeconds} s warm-up), UDP ${udpSeconds} s; ${configs.join(', ')}`);
  const needsAgent = configs.some((c) => c !== 'floor');
  const entry = needsAgent ? await privateAgentBuild(log, values['agent-bin'] !== undefined ? resolve(values['agent-bin']) : undefined) : undefined;
  if (entry) log(`agent: ${entry.note}`);

  // UDP has no slow start to skip, and iperf3 3.12 miscounts UDP loss with -O (omitted datagrams count as lost: over 100%).
  const client = (udp: boolean): Iperf3ClientOptions => ({ port: IPERF_PORT, seconds: udp ? udpSeconds : seconds, omitSeconds: udp ? 0 : omitSeconds, udp, connectTimeoutMs: CONNECT_TIMEOUT_MS });
  const runs = new Map<ConfigName, ConfigRun>();
  const budgetMs = 300_000 + rounds * configs.length * ((seconds + udpSeconds + omitSeconds) * 1000 + 2 * (CONNECT_TIMEOUT_MS + 20_000));
  try {
    await withTimeout('throughput', (async () => {
      for (const c of configs) {
        if (isInterrupted()) return;
        try {
          const pair = c === 'floor' ? await floorPair() : await agentPair(c, entry?.bin ?? '', log);
          const run: ConfigRun = { pair, tcp: [], udp: [], vswitchdCpu: { tcp: [], udp: [] }, bridgeDrops: { tcp: [], udp: [] } };
          run.ping = await pingOk(pair);
          runs.set(c, run);
          log(`${c}: ${pair.clientIp} -> ${pair.serverIp}, ping ${run.ping ? 'ok' : 'FAILED'}; workload ends ${formatOffloads(pair.offloads.client)}`);
        } catch (err) {
          const msg = err instanceof Error ? err.message.split('\n')[0] ?? err.message : String(err);
          log(`${c}: setup failed: ${msg}`);
          runs.set(c, { setupError: msg, tcp: [], udp: [], vswitchdCpu: { tcp: [], udp: [] }, bridgeDrops: { tcp: [], udp: [] } });
        }
      }
      const active = configs.filter((c) => runs.get(c)?.pair !== undefined);
      for (let r = 0; r < rounds; r++) {
        for (const c of roundOrder(active, r)) {
          if (isInterrupted()) return;
          const cr = runs.get(c) as ConfigRun & { pair: Pair };
          const measure = async (udp: boolean): Promise<Iperf3Outcome> => {
            const pid = cr.pair.vswitchdPid;
            const ports0 = await cr.pair.ports?.();
            const cpu0 = pid === undefined ? undefined : await processCpuSeconds(pid);
            const t = nowMs();
            const out = await iperf3Test(cr.pair.clientNs, cr.pair.serverNs, cr.pair.serverIp, client(udp));
            const wallS = (nowMs() - t) / 1000;
            const cpu1 = pid === undefined ? undefined : await processCpuSeconds(pid);
            const ports1 = await cr.pair.ports?.();
            const key = udp ? 'udp' : 'tcp';
            if (cpu0 !== undefined && cpu1 !== undefined && out.ok) cr.vswitchdCpu[key].push(((cpu1 - cpu0) / wallS) * 100);
            const drops = ports0 && ports1 ? droppedBetween(ports0, ports1) : undefined;
            if (drops !== undefined && out.ok) cr.bridgeDrops[key].push(drops);
            return out;
          };
          const tcp = await measure(false);
          cr.tcp.push(tcp);
          let udpText = '';
          if (udpSeconds > 0) {
            const udp = await measure(true);
            cr.udp.push(udp);
            udpText = udp.ok ? `, UDP ${formatBitrate(udp.result.receivedBps)} (${(udp.result.lostPercent ?? 0).toFixed(1)}% lost)` : `, UDP failed: ${udp.error}`;
          }
          log(`round ${r + 1}/${rounds} ${c}: TCP ${tcp.ok ? `${formatBitrate(tcp.result.receivedBps)} (${tcp.result.retransmits ?? '?'} retransmits)` : `failed: ${tcp.error}`}${udpText}`);
        }
      }
      for (const c of active) {
        const cr = runs.get(c) as ConfigRun & { pair: Pair };
        cr.offloadsAfter = { client: await readOffloads(cr.pair.clientNs, IF_NAME), server: await readOffloads(cr.pair.serverNs, IF_NAME) };
      }
    })(), budgetMs);
  } finally {
    for (const c of [...configs].reverse()) await runs.get(c)?.pair?.stop().catch((e: unknown) => log(`${c}: teardown failed: ${String(e)}`));
    await entry?.dispose();
  }
  if (isInterrupted()) return 130;

  const tcpSum = new Map(configs.map((c) => [c, summarizeOutcomes(runs.get(c)?.tcp ?? [])]));
  const udpSum = new Map(configs.map((c) => [c, summarizeOutcomes(runs.get(c)?.udp ?? [])]));
  const floorTcp = tcpSum.get('floor');
  const floorUdp = udpSum.get('floor');
  const vsFloor = (s: OutcomeSummary, f: OutcomeSummary | undefined, c: ConfigName): string => (c === 'floor' ? '1.00x' : formatRatio(ratio(s.medianBps, f?.medianBps)));
  const failureNotes = configs.flatMap((c) => {
    const why = failure(runs.get(c) as ConfigRun, tcpSum.get(c));
    return why ? [`${LABELS[c]}: ${why}`] : [];
  });
  const ratioNotes: string[] = [];
  const pairs: [ConfigName, ConfigName][] = [['nsvswitch', 'floor'], ['tso', 'floor'], ['nsvswitch', 'tso']];
  for (const [a, b] of pairs) {
    const ra = runs.get(a);
    const rb = runs.get(b);
    if (ra && rb) ratioNotes.push(ratioNote(`${a} / ${b}`, ra.tcp, rb.tcp, tcpSum.get(a) as OutcomeSummary, tcpSum.get(b) as OutcomeSummary));
  }

  const tcpTable: Table = {
    title: `Throughput between two workloads of one tenant: iperf3 TCP, 1 stream, ${seconds} s after ${omitSeconds} s warm-up, ${rounds} round(s), receiver side`,
    headers: ['configuration', 'median', 'rounds ok', 'each round', 'retransmits (median)', 'bridge drops (median)', 'iperf3 CPU sender / receiver', 'ovs-vswitchd CPU', 'vs floor'],
    rows: configs.map((c) => {
      const s = tcpSum.get(c) as OutcomeSummary;
      return [LABELS[c], formatBitrate(s.medianBps), `${s.ok}/${runs.get(c)?.setupError !== undefined ? 0 : rounds}`, eachRound(s), s.medianRetransmits === undefined ? 'n/a' : String(s.medianRetransmits), countCell(runs.get(c)?.bridgeDrops.tcp), cpuCell(s), vswitchdCell(runs.get(c)?.vswitchdCpu.tcp), s.ok ? vsFloor(s, floorTcp, c) : 'failed'];
    }),
    notes: [...ratioNotes, ...failureNotes, 'configurations alternate order from round to round; CPU in % of one core (median): iperf3\'s own figures, and ovs-vswitchd\'s from /proc over the whole test (warm-up included); bridge drops: rx + tx drop counters of the bridge\'s ports (`ovs-ofctl dump-ports`) over the test; 2 cores are shared by both iperf3 ends, ovs-vswitchd and the kernel'],
  };
  const udpTable: Table | undefined = udpSeconds > 0 ? {
    title: `iperf3 UDP, 1 stream unthrottled (-b 0), ${udpSeconds} s (no warm-up): what the receiver got`,
    headers: ['configuration', 'received (median)', 'loss (median)', 'rounds ok', 'each round', 'bridge drops (median)', 'ovs-vswitchd CPU', 'vs floor'],
    rows: configs.map((c) => {
      const s = udpSum.get(c) as OutcomeSummary;
      return [LABELS[c], formatBitrate(s.medianBps), s.medianLostPercent === undefined ? 'n/a' : `${s.medianLostPercent.toFixed(1)}%`, `${s.ok}/${runs.get(c)?.setupError !== undefined ? 0 : rounds}`, eachRound(s), countCell(runs.get(c)?.bridgeDrops.udp), vswitchdCell(runs.get(c)?.vswitchdCpu.udp), s.ok ? vsFloor(s, floorUdp, c) : 'failed'];
    }),
    notes: [
      `datagram size (iperf3's choice from the path MTU): ${[...new Set(configs.flatMap((c) => (runs.get(c)?.udp ?? []).flatMap((o) => (o.ok && o.result.blockBytes !== undefined ? [o.result.blockBytes] : []))))].join(', ') || 'n/a'} bytes; loss is what the sender offered beyond what reached the receiver`,
      ...configs.flatMap((c) => {
        const s = udpSum.get(c) as OutcomeSummary;
        return s.errors.length ? [`${LABELS[c]}: ${s.rounds - s.ok} of ${s.rounds} rounds failed: ${s.errors.join('; ')}`] : [];
      }),
    ],
  } : undefined;
  const setupTable: Table = {
    title: 'How each configuration was set up (workload ends: eth0 in each namespace)',
    headers: ['configuration', 'client / server', 'ping', 'workload-end offloads during the rounds'],
    rows: configs.map((c) => {
      const cr = runs.get(c) as ConfigRun;
      if (!cr.pair) return [LABELS[c], '-', '-', `setup failed: ${cr.setupError ?? '?'}`];
      return [LABELS[c], `${cr.pair.clientIp} / ${cr.pair.serverIp}`, cr.ping ? 'ok' : 'FAILED', formatOffloads(cr.pair.offloads.client)];
    }),
    notes: configs.flatMap((c) => {
      const cr = runs.get(c) as ConfigRun;
      const changed = cr.pair && cr.offloadsAfter && (formatOffloads(cr.offloadsAfter.client) !== formatOffloads(cr.pair.offloads.client) || formatOffloads(cr.offloadsAfter.server) !== formatOffloads(cr.pair.offloads.server));
      return [
        ...(cr.pair?.notes ?? []).map((n) => `${c}: ${n}`),
        ...(changed ? [`${c}: offloads changed during the rounds, now ${formatOffloads(cr.offloadsAfter?.client)} (client), ${formatOffloads(cr.offloadsAfter?.server)} (server)`] : []),
      ];
    }),
  };

  const summary = [tcpTable, ...(udpTable ? [udpTable] : []), setupTable];
  const med = (xs: number[]): number | undefined => (xs.length ? percentile(xs, 50) : undefined);
  await publishResult({
    name: 'throughput',
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    params: { rounds, quick, tcpSeconds: seconds, udpSeconds, omitSeconds, configs, bridge: BRIDGE, datapathType: 'netdev', mtu: AGENT_MTU, streams: 1, connectTimeoutMs: CONNECT_TIMEOUT_MS, agent: entry ? { kind: entry.kind, note: entry.note } : undefined },
    results: {
      configs: Object.fromEntries(configs.map((c) => {
        const cr = runs.get(c) as ConfigRun;
        return [c, {
          label: LABELS[c],
          ...(cr.setupError !== undefined ? { setupError: cr.setupError } : {}),
          ...(cr.pair ? { clientIp: cr.pair.clientIp, serverIp: cr.pair.serverIp, ping: cr.ping, offloads: cr.pair.offloads, offloadsAfter: cr.offloadsAfter, notes: cr.pair.notes, vswitchdCpuPercent: cr.vswitchdCpu, bridgeDrops: cr.bridgeDrops } : {}),
          tcp: { summary: tcpSum.get(c), rounds: cr.tcp },
          udp: { summary: udpSum.get(c), rounds: cr.udp },
        }];
      })),
      ratios: Object.fromEntries(pairs.filter(([a, b]) => runs.has(a) && runs.has(b)).map(([a, b]) => [`${a}/${b}`, {
        tcpMedians: ratio(tcpSum.get(a)?.medianBps, tcpSum.get(b)?.medianBps),
        tcpPerRound: pairedRatios(runs.get(a)?.tcp ?? [], runs.get(b)?.tcp ?? []),
        tcpPerRoundMedian: med(pairedRatios(runs.get(a)?.tcp ?? [], runs.get(b)?.tcp ?? [])),
        udpMedians: ratio(udpSum.get(a)?.medianBps, udpSum.get(b)?.medianBps),
        udpPerRound: pairedRatios(runs.get(a)?.udp ?? [], runs.get(b)?.udp ?? []),
      }])),
    },
    summary,
  });
  const anyFailed = configs.some((c) => failure(runs.get(c) as ConfigRun, tcpSum.get(c)) !== undefined || (udpSum.get(c)?.errors.length ?? 0) > 0);
  return anyFailed ? 2 : 0;
}

runBench('throughput', main);
