/**
 * What ovs-vswitchd itself takes to take one new port, by bridge size, with no agent and no process: the
 * floor under the attach latency's record stage (bench/latency.ts). One private OVS (userspace datapath)
 * in its own host namespace; each port a veth made through the native addon as the agent makes it (peer
 * created in its own namespace, host end sealed while down, then up; peer renamed, addressed and up) and
 * recorded with one OVSDB transaction (Interface + Port + next_cfg), timed until cur_cfg says ovs-vswitchd
 * applied it. Two cases, alternating, at each bridge size:
 *
 *   settled  the veth made --gap-ms before the transaction: ovs-vswitchd has digested its link events;
 *            timed from the transaction to cur_cfg.
 *   fresh    the veth made right before the transaction, as an agent's pass does; timed from the first
 *            netlink call to cur_cfg (the veth steps themselves are a fraction of a millisecond).
 *
 * Also ovs-vswitchd's reconfigurations per port taken (its coverage counter bridge_reconfigure over a
 * step): every link event in its namespace and every change to a column it watches makes one, and each
 * walks every port.
 *
 *   npx tsx bench/port-add-floor.ts [--sizes 0,100,200] [--rounds 20] [--gap-ms 100] [--quick]
 */
import { closeSync, openSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadNative, type NativeAddon } from '../src/native/native.js';
import { OvsdbClient, Txn, byUuid, mutation, nextCfgFromResult, ovsSet } from '../src/ovsdb/index.js';
import { VswitchReplica } from '../src/ovsdb/vswitch/vswitch-replica.js';
import { hostEndSysctls } from '../src/plumbing/host-guard/sysctls.js';
import { writeSysctls } from '../src/plumbing/sysctl-table.js';
import { BENCH_PREFIX_LEN, benchIp, benchMac } from './lib/addresses.js';
import { installSignalCleanup, runBench } from './lib/cleanup.js';
import { formatMs, formatRatio, ratio } from './lib/format.js';
import { quickMode } from './lib/quick.js';
import { machineInfo, publishResult } from './lib/results.js';
import { startBenchSandbox } from './lib/sandbox.js';
import { summarize, type Summary } from './lib/stats.js';
import type { Table } from './lib/table.js';
import { nowMs } from './lib/timing.js';
import { setTimeout as sleep } from 'node:timers/promises';

const BRIDGE = 'br-bench';
const MTU = 1500;
const VSWITCH_DB = 'Open_vSwitch';
/** Ports recorded per transaction while the bridge is grown to the next size (untimed). */
const GROW_CHUNK = 50;
/** ovs-vswitchd folds its threads' coverage counters into the totals it shows about once a second. */
const COVERAGE_LAG_MS = 1500;

type Case = 'settled' | 'fresh';

interface Step {
  /** Ports on the bridge when the step began. */
  readonly size: number;
  readonly ms: Record<Case, Summary>;
  /** ovs-vswitchd reconfigurations per port taken (coverage bridge_reconfigure over the step, both cases). */
  readonly reconfiguresPerPort: number;
  readonly freshOverSettled: number | undefined;
}

/** A veth made the way the agent's netlink plumbing makes one, its host end named `host`. */
class VethMaker {
  private constructor(
    private readonly native: NativeAddon,
    private readonly hostFd: number,
    private readonly sock: number,
  ) {}

  static open(native: NativeAddon, hostNetns: string): VethMaker {
    const hostFd = openSync(hostNetns, 'r');
    try {
      return new VethMaker(native, hostFd, native.rtnlOpen(hostFd));
    } catch (err) {
      closeSync(hostFd);
      throw err;
    }
  }

  /** Peer into nsPath, host end sealed (sysctls) while down, then up; the peer renamed, addressed and up. */
  make(host: string, nsPath: string, i: number): void {
    const nsFd = openSync(nsPath, 'r');
    try {
      const step = (what: string, err: Error | null): void => {
        if (err) throw new Error(`${what} ${host}: ${err.message}`);
      };
      step('create veth', this.native.rtnlCreateVeth(this.sock, host, MTU, 'nsvtmp0', benchMac(i), nsFd));
      const failed = writeSysctls(this.native, this.hostFd, hostEndSysctls(host));
      if (failed) throw new Error(`seal ${host}: ${failed.sysctl.key}: ${failed.error.message}`);
      step('host end up', this.native.rtnlHostUp(this.sock, host));
      step('configure', this.native.rtnlConfigure(nsFd, 'nsvtmp0', 'eth0', benchIp(i), BENCH_PREFIX_LEN, null));
    } finally {
      closeSync(nsFd);
    }
  }

  close(): void {
    this.native.rtnlClose(this.sock);
    closeSync(this.hostFd);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '0,100,200' },
      rounds: { type: 'string', default: '20' },
      'gap-ms': { type: 'string', default: '100' },
      quick: { type: 'boolean', default: false },
    },
  });
  const quick = quickMode(values.quick);
  const sizes = (quick ? '0,20' : values.sizes).split(',').map(Number);
  const rounds = quick ? 4 : Number(values.rounds);
  const gapMs = Number(values['gap-ms']);
  if (sizes.some((s) => !Number.isInteger(s) || s < 0) || !(rounds > 0) || !(gapMs >= 0)) throw new Error('--sizes: integers >= 0; --rounds > 0; --gap-ms >= 0');
  const { addon, reason } = loadNative();
  if (!addon) throw new Error(`this bench makes its veths through the native addon, which did not load: ${reason}`);
  installSignalCleanup();

  const startedAt = new Date().toISOString();
  const machine = await machineInfo();
  const t0 = Date.now();
  const log = (msg: string): void => void process.stderr.write(`[port-add-floor +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
  log(`${machine.cpus} CPUs, load ${machine.loadAvg1m.toFixed(2)}; sizes ${sizes.join(',')}, ${rounds} rounds per case, gap ${gapMs} ms`);

  const { sb, stop } = await startBenchSandbox('port-add-floor', BRIDGE);
  let client: OvsdbClient | undefined;
  let replica: VswitchReplica | undefined;
  let veths: VethMaker | undefined;
  const steps: Step[] = [];
  try {
    client = await OvsdbClient.connect(sb.dbEndpoint, { requestTimeoutMs: 60_000 });
    replica = await VswitchReplica.start(client);
    veths = VethMaker.open(addon, sb.hostNetns);
    const bridgeUuid = [...replica.snapshot().bridges.values()].find((b) => b.name === BRIDGE)?._uuid;
    const root = replica.snapshot().openVSwitch?._uuid;
    if (bridgeUuid === undefined || root === undefined) throw new Error(`bridge ${BRIDGE} or the Open_vSwitch row missing from the replica`);
    const c = client;
    const r = replica;
    let made = 0;
    const hostName = (i: number): string => `pf${i}`;

    /** Records hosts[] in one transaction and waits until ovs-vswitchd applied it (cur_cfg). */
    const record = async (names: readonly string[]): Promise<void> => {
      const txn = new Txn();
      const refs = names.map((name) => txn.insert('Port', { name, interfaces: ovsSet([txn.insert('Interface', { name })]) }));
      txn.mutate('Bridge', [byUuid(bridgeUuid)], [mutation('ports', 'insert', ovsSet(refs))]);
      const at = txn.bumpNextCfg(root);
      const res = await c.transact(VSWITCH_DB, txn.ops());
      await r.waitForCurCfg(nextCfgFromResult(res[at]), 60_000);
    };
    /** A new namespace and the veth into it; returns the host end's name. */
    const newPort = async (): Promise<{ name: string; nsPath: string; i: number }> => {
      const i = made++;
      const [nsPath] = await sb.netnsDir.add(`w${i}`);
      return { name: hostName(i), nsPath: nsPath as string, i };
    };
    const reconfigures = async (): Promise<number> => {
      // A counter still at 0 is not listed.
      const m = /^bridge_reconfigure\s.*total:\s*(\d+)/m.exec(await sb.appctl('ovs-vswitchd', 'coverage/show'));
      return m ? Number(m[1]) : 0;
    };

    for (const size of sizes) {
      // Grow the bridge to `size` ports (untimed), in chunks.
      while (made < size) {
        const chunk: string[] = [];
        for (let k = 0; k < GROW_CHUNK && made < size; k++) {
          const p = await newPort();
          veths.make(p.name, p.nsPath, p.i);
          chunk.push(p.name);
        }
        await record(chunk);
      }
      await sleep(Math.max(gapMs, COVERAGE_LAG_MS));
      const times: Record<Case, number[]> = { settled: [], fresh: [] };
      const atSize = made;
      const before = await reconfigures();
      for (let k = 0; k < rounds; k++) {
        for (const kind of (k % 2 === 0 ? ['settled', 'fresh'] : ['fresh', 'settled']) as Case[]) {
          const p = await newPort();
          await sleep(gapMs);
          let start: number;
          if (kind === 'settled') {
            veths.make(p.name, p.nsPath, p.i);
            await sleep(gapMs);
            start = nowMs();
          } else {
            start = nowMs();
            veths.make(p.name, p.nsPath, p.i);
          }
          await record([p.name]);
          times[kind].push(nowMs() - start);
        }
      }
      // ovs-vswitchd folds its threads' counters into the totals about once a second.
      await sleep(COVERAGE_LAG_MS);
      const reconfiguresPerPort = ((await reconfigures()) - before) / (2 * rounds);
      const ms = { settled: summarize(times.settled), fresh: summarize(times.fresh) };
      const step: Step = {
        size: atSize,
        ms,
        reconfiguresPerPort,
        freshOverSettled: ratio(ms.fresh.p50, ms.settled.p50),
      };
      steps.push(step);
      log(`${atSize} ports: settled p50 ${formatMs(ms.settled.p50)}, fresh p50 ${formatMs(ms.fresh.p50)} (${formatRatio(step.freshOverSettled)})`);
    }
  } finally {
    veths?.close();
    await replica?.stop();
    await client?.close();
    await stop();
  }

  const table: Table = {
    title: 'ovs-vswitchd taking one new port (OVSDB transaction to cur_cfg), by bridge size',
    headers: ['ports on the bridge', 'settled p50', 'settled p95', 'fresh p50', 'fresh p95', 'fresh / settled (p50)', 'reconfigurations per port'],
    rows: steps.map((s) => [
      String(s.size), formatMs(s.ms.settled.p50), formatMs(s.ms.settled.p95), formatMs(s.ms.fresh.p50), formatMs(s.ms.fresh.p95),
      formatRatio(s.freshOverSettled), s.reconfiguresPerPort.toFixed(2),
    ]),
    notes: [
      `settled: veth made ${gapMs} ms before, timed from the transaction; fresh: veth made right before, timed from its first netlink call`,
      `${rounds} rounds per case and size, alternating; no process in the timed window; userspace datapath (netdev)`,
    ],
  };
  await publishResult({
    name: 'port-add-floor',
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    params: { sizes, rounds, gapMs, quick, bridge: BRIDGE, datapathType: 'netdev' },
    results: { steps },
    summary: [table],
  }, { write: !quick });
}

runBench('port-add-floor', main);
