import { run } from '../../../src/exec/run.js';
import { INTEGRATION_BRIDGE, type OvnHost } from '../../../test/helpers/ovn-env.js';
import { benchMac } from '../addresses.js';
import { mapLimit } from '../concurrency.js';
import { nowMs } from '../timing.js';
import { driverIpSteps, driverNbSteps, driverVsctlSteps, insideBatch, moveInsideArgs, type PortSpec } from './argv.js';
import { MarkerTracker } from './marker-tracker.js';
import { cleanupHandPorts, createNamespace, latencies, raftDelta, settledRaft, subnetIp, verifyTraffic, WORKLOAD_IF, WORKLOAD_PREFIX_LEN, workloadName, type OvnBenchCtx } from './phase.js';
import type { OvnPhase } from './report.js';

const SUBNET_BASE = '10.82';
/** ovn-nbctl/ovs-vsctl --timeout (the driver's is 5 s; two shared, loaded cores need more). */
const CTL_TIMEOUT_S = 60;
/** Processes one workload costs on this route (4 ovn-nbctl, 3 + 2 ip, 2 ovs-vsctl, the namespace's unshare). */
const PROCESSES_PER_WORKLOAD = 12;

interface Plugged {
  readonly name: string;
  readonly path: string;
  readonly port: PortSpec;
}

/**
 * The classic route, per workload as OVN's Docker driver does it when
 * Docker calls it once per container (`concurrency` calls at once per
 * host): the namespace is created, then CreateEndpoint (`ovn-nbctl lsp-add`,
 * `lsp-set-addresses`, plus `lsp-set-port-security`), Join (`ovn-nbctl get`
 * of the addresses, a veth, its MAC, up, `ovs-vsctl add-port`, `ovs-vsctl
 * set interface … iface-id`), then what libnetwork does: the inside end
 * moved into the namespace, renamed, addressed, up.
 */
export async function scriptedPhase(ctx: OvnBenchCtx, round: number): Promise<OvnPhase> {
  const { env, n, log } = ctx;
  const ls = `bench-scripted-${round}`;
  const hosts = env.hosts;
  const starts = new Map<string, number>();
  const plugged: Plugged[][] = hosts.map(() => []);
  const names = hosts.map((_, hi) => Array.from({ length: n }, (_, i) => workloadName('s', round, hi, i)));
  const trackers = ctx.monitors.map((m) => new MarkerTracker(m, (row) => row.externalIds['iface-id']));
  try {
    await env.nbctl('ls-add', ls);
    const before = await settledRaft(env);
    log(`scripted: ${hosts.length} × ${n} workloads, ${ctx.concurrency} at once per host`);
    await Promise.all(hosts.map((h, hi) => mapLimit(names[hi]!, ctx.concurrency, async (name, i) => {
      const port: PortSpec = { name, mac: benchMac(hi * n + i), ip: subnetIp(SUBNET_BASE, hi * n + i) };
      starts.set(name, nowMs());
      const path = await createNamespace(h, name);
      plugged[hi]!.push({ name, path, port });
      await driverPlug(ctx, h, port, path, ls);
    })));
    const returnedAt = nowMs();
    const keys = [...starts.keys()];
    await Promise.all(trackers.map((t, hi) => t.waitAll(`scripted: ovn-installed on host ${hosts[hi]!.name}`, plugged[hi]!.map((p) => p.name), ctx.timeoutMs)));
    const stops = new Map(trackers.flatMap((t) => [...t.stamps]));
    const { latencyMs, totalMs } = latencies(starts, new Map(keys.map((k) => [k, stops.get(k)!])));
    const firstStart = Math.min(...starts.values());
    const raft = raftDelta(before, await settledRaft(env));
    const lsps = (await env.nbctl('--bare', '--columns=name', 'list', 'Logical_Switch_Port')).split('\n').filter((l) => l.startsWith(`s${round}-`)).length;
    if (lsps !== hosts.length * n) throw new Error(`scripted: ${lsps} logical ports in ${ls}, expected ${hosts.length * n}`);
    const [a, b] = [plugged[0]![0]!, plugged[1]![0]!];
    const traffic = await verifyTraffic({ path: a.path, ip: a.port.ip }, { path: b.path, ip: b.port.ip }, { txOff: true });
    return {
      contender: 'scripted', round, hosts: hosts.length, n, latencyMs, totalMs, ...raft,
      extra: {
        'processes per workload': PROCESSES_PER_WORKLOAD,
        'ovn-nbctl write transactions per workload': 3,
        'last driver call returned (ms from the first start)': returnedAt - firstStart,
      },
      verified: [`${lsps} logical ports`, `${keys.length} Interfaces ovn-installed`, traffic],
    };
  } finally {
    for (const t of trackers) t.stop();
    await cleanupHandPorts(ctx, ls, names);
  }
}

async function driverPlug(ctx: OvnBenchCtx, h: OvnHost, port: PortSpec, path: string, ls: string): Promise<void> {
  for (const argv of driverNbSteps(ctx.env.nbRemotes, CTL_TIMEOUT_S, ls, port)) await h.inHost('ovn-nbctl', argv);
  for (const argv of driverIpSteps(port)) await h.inHost('ip', argv);
  for (const argv of driverVsctlSteps(INTEGRATION_BRIDGE, CTL_TIMEOUT_S, port, port.name)) await run('ovs-vsctl', [`--db=${h.dbEndpoint}`, ...argv], { env: h.env });
  await h.inHost('ip', moveInsideArgs(port, path));
  await run('ip', ['-batch', '-'], { netns: path, input: insideBatch(port, WORKLOAD_IF, WORKLOAD_PREFIX_LEN) });
}
