import { run } from '../../../src/exec/run.js';
import { INTEGRATION_BRIDGE, type OvnHost } from '../../../test/helpers/ovn-env.js';
import { benchMac } from '../addresses.js';
import { mapLimit } from '../concurrency.js';
import { nowMs } from '../timing.js';
import { bulkAddPortArgs, bulkLspArgs, type PortSpec } from './argv.js';
import { MarkerTracker } from './marker-tracker.js';
import { cleanupHandPorts, createNamespace, latencies, raftDelta, settledRaft, subnetIp, verifyTraffic, WORKLOAD_IF, WORKLOAD_PREFIX_LEN, workloadName, type OvnBenchCtx, type RaftMark } from './phase.js';
import type { OvnPhase } from './report.js';

const SUBNET_BASE = '10.83';
/** One transaction of a few hundred ports through a loaded Raft cluster. */
const BULK_TIMEOUT_MS = 180_000;

export type FloorTrigger = 'interface' | 'lsp';

interface Workload {
  readonly path: string;
  readonly port: PortSpec;
}

/**
 * OVN's own floor: every workload's namespace, veth and address made
 * beforehand (not timed), then the two halves of a port in bulk, one
 * transaction each: the logical ports (addresses, port security, requested
 * chassis) in one ovn-nbctl transaction, the Interfaces (iface-id) in one
 * ovs-vsctl transaction per host. The clock runs from the spawn of the
 * transaction that completes the ports to each Interface's ovn-installed:
 *
 *  - `interface`: the logical ports exist (`--wait=sb`: in the southbound
 *    database as Port_Bindings); the Interfaces appear, all of a host's at
 *    once, the hosts concurrently. What is timed is ovn-controller's own work.
 *  - `lsp`: the Interfaces exist (ovn-controller waits for their logical
 *    ports); the logical ports appear in one transaction. Timed: the
 *    northbound commit, ovn-northd, the southbound, ovn-controller.
 */
export async function floorPhase(ctx: OvnBenchCtx, round: number, trigger: FloorTrigger): Promise<OvnPhase> {
  const { env, n, log } = ctx;
  const hosts = env.hosts;
  const ls = `bench-floor-${trigger}-${round}`;
  const prefix = trigger === 'interface' ? 'fi' : 'fl';
  const names = hosts.map((_, hi) => Array.from({ length: n }, (_, i) => workloadName(prefix, round, hi, i)));
  const trackers = ctx.monitors.map((m) => new MarkerTracker(m, (row) => row.externalIds['iface-id']));
  try {
    await env.nbctl('ls-add', ls);
    log(`floor (${trigger} last): making ${hosts.length} × ${n} namespaces, veths and addresses (not timed)`);
    const workloads = await Promise.all(hosts.map((h, hi) => prepareHost(ctx, h, hi, names[hi]!)));
    const allPorts = workloads.flat().map((w) => w.port);
    const nbctlBulk = (...pre: string[]): Promise<unknown> => run('ovn-nbctl', [`--db=${env.nbRemotes}`, `--timeout=${BULK_TIMEOUT_MS / 1000}`, ...pre, ...bulkLspArgs(ls, allPorts)], { netns: env.centralNetns, timeoutMs: BULK_TIMEOUT_MS });
    const addPorts = (h: OvnHost, hi: number): Promise<string> => h.vsctl(...bulkAddPortArgs(INTEGRATION_BRIDGE, workloads[hi]!.map((w) => w.port)));
    const starts = new Map<string, number>();
    let before: RaftMark;
    if (trigger === 'interface') {
      await nbctlBulk('--wait=sb');
      before = await settledRaft(env);
      log(`floor (interface last): ${allPorts.length} logical ports in the southbound; adding the Interfaces`);
      await Promise.all(hosts.map(async (h, hi) => {
        const t0 = nowMs();
        for (const w of workloads[hi]!) starts.set(w.port.name, t0);
        await addPorts(h, hi);
      }));
    } else {
      await Promise.all(hosts.map((h, hi) => addPorts(h, hi)));
      before = await settledRaft(env);
      log(`floor (LSP last): ${allPorts.length} Interfaces bound by iface-id; adding the logical ports`);
      const t0 = nowMs();
      for (const p of allPorts) starts.set(p.name, t0);
      await nbctlBulk();
    }
    await Promise.all(trackers.map((t, hi) => t.waitAll(`floor (${trigger} last): ovn-installed on host ${hosts[hi]!.name}`, names[hi]!, ctx.timeoutMs)));
    const stops = new Map(trackers.flatMap((t) => [...t.stamps]));
    const { latencyMs, totalMs } = latencies(starts, new Map([...starts.keys()].map((k) => [k, stops.get(k)!])));
    const raft = raftDelta(before, await settledRaft(env));
    const [a, b] = [workloads[0]![0]!, workloads[1]![0]!];
    const traffic = await verifyTraffic({ path: a.path, ip: a.port.ip }, { path: b.path, ip: b.port.ip }, { txOff: true });
    return {
      contender: trigger === 'interface' ? 'floor-interface' : 'floor-lsp', round, hosts: hosts.length, n, latencyMs, totalMs, ...raft,
      extra: { 'ovn-nbctl transactions (all hosts)': 1, 'ovs-vsctl transactions per host': 1 },
      verified: [`${starts.size} Interfaces ovn-installed`, traffic],
    };
  } finally {
    for (const t of trackers) t.stop();
    await cleanupHandPorts(ctx, ls, names);
  }
}

/** A host's namespaces with a veth each (host end up, named after the port), loopback up, MAC, address, up: one `ip -batch` on the host, one per namespace. */
async function prepareHost(ctx: OvnBenchCtx, h: OvnHost, hi: number, names: readonly string[]): Promise<Workload[]> {
  const out = await mapLimit(names, ctx.concurrency, async (name, i) => {
    const k = hi * ctx.n + i;
    return { path: await createNamespace(h, name), port: { name, mac: benchMac(k), ip: subnetIp(SUBNET_BASE, k), chassis: h.systemId } };
  });
  // Bench-made names and paths only in the batch text.
  await h.inHost('ip', ['-batch', '-'], { input: out.map((w) => `link add ${w.port.name} type veth peer name ${WORKLOAD_IF} netns ${w.path}\nlink set ${w.port.name} up\n`).join('') });
  await mapLimit(out, ctx.concurrency, (w) => run('ip', ['-batch', '-'], {
    netns: w.path,
    input: `link set lo up\nlink set ${WORKLOAD_IF} address ${w.port.mac}\naddr add ${w.port.ip}/${WORKLOAD_PREFIX_LEN} dev ${WORKLOAD_IF}\nlink set ${WORKLOAD_IF} up\n`,
  }));
  return out;
}
