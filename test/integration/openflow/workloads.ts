import type { OvsSandbox } from '../../../src/sandbox/ovs-sandbox.js';
import type { FlowPort } from '../../../src/core/pipeline/index.js';
import { ExternalIds, OWNER_VALUE } from '../../../src/core/ownership.js';
import { run, type RunResult } from '../../../src/exec/run.js';
import { setTxChecksumOffload } from '../../helpers/traffic.js';

export { setTxChecksumOffload, txChecksumOffload } from '../../helpers/traffic.js';

/** A workload plugged by hand the way the reconciler would: namespace, veth, OVS port with our external_ids. */
export interface Workload extends FlowPort {
  /** These workloads are IPv4 ones: always an address. */
  readonly ip: string;
  readonly ns: string;
  readonly nsPath: string;
}

export interface WorkloadSpec {
  readonly ns: string;
  readonly portName: string;
  readonly mac: string;
  readonly ip: string;
  readonly tenantId: number;
  readonly tenant: string;
}

/** Bridge the pipeline expects: userspace datapath, no NORMAL fallback, OpenFlow 1.3 and 1.5. */
export async function addSecureBridge(sb: OvsSandbox, bridge: string): Promise<void> {
  await sb.addBridge(bridge, '--', 'set', 'Bridge', bridge, 'fail_mode=secure', 'protocols=OpenFlow13,OpenFlow15');
}

export interface PlugOptions {
  /**
   * Leave transmit checksum offload on the workload's eth0 (default false:
   * turned off, as the agent does). The userspace datapath forwards frames as
   * they are, so with offload on, TCP and UDP leave with a partial checksum
   * and the receiver drops them; only the test that shows this keeps it on.
   */
  readonly txChecksumOffload?: boolean;
}

/** Creates the namespaces, veths and ports of all specs (one ovs-vsctl transaction), returns them with ofports. */
export async function plugWorkloads(sb: OvsSandbox, bridge: string, specs: readonly WorkloadSpec[], opts: PlugOptions = {}): Promise<Workload[]> {
  const paths = await sb.netnsDir.add(...specs.map((s) => s.ns));
  const hostBatch: string[] = [];
  for (const [i, s] of specs.entries()) {
    hostBatch.push(`link add ${s.portName} type veth peer name eth0 netns ${paths[i]!}`, `link set ${s.portName} up`);
  }
  await sb.inHost('ip', ['-batch', '-'], `${hostBatch.join('\n')}\n`);
  await Promise.all(
    specs.map(async (s, i) => {
      await nsIp(sb, paths[i]!, [`link set lo up`, `link set eth0 address ${s.mac}`, `addr add ${s.ip}/24 dev eth0`, `link set eth0 up`]);
      if (!opts.txChecksumOffload) await setTxChecksumOffload(paths[i]!, false);
    }),
  );
  const vsctl: string[] = [];
  for (const [i, s] of specs.entries()) {
    vsctl.push('--', 'add-port', bridge, s.portName, '--', 'set', 'Interface', s.portName,
      `external_ids:${ExternalIds.owner}=${OWNER_VALUE}`, `external_ids:${ExternalIds.netns}=${paths[i]!}`,
      `external_ids:${ExternalIds.ip}=${s.ip}`, `external_ids:${ExternalIds.mac}=${s.mac}`,
      `external_ids:${ExternalIds.tenant}=${s.tenant}`, `external_ids:${ExternalIds.tenantId}=${s.tenantId}`);
  }
  await sb.vsctl(...vsctl);
  const ofports = await readOfports(sb, specs.map((s) => s.portName));
  return specs.map((s, i) => ({ ...s, nsPath: paths[i]!, ofport: ofports.get(s.portName)! }));
}

/** ofport of each port, waiting until ovs-vswitchd has numbered them all (after start or restart). */
export async function readOfports(sb: OvsSandbox, names: readonly string[]): Promise<Map<string, number>> {
  for (let attempt = 0; ; attempt++) {
    const out = await sb.vsctl('--format=csv', '--data=bare', '--no-headings', '--columns=name,ofport', 'list', 'Interface');
    const map = new Map<string, number>();
    for (const line of out.trim().split('\n')) {
      const [name, ofport] = line.split(',');
      if (name && ofport && Number(ofport) > 0) map.set(name, Number(ofport));
    }
    if (names.every((n) => map.has(n))) return map;
    if (attempt > 100) throw new Error(`ports without ofport: ${names.filter((n) => !map.has(n)).join(' ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs `ip -batch` inside a workload namespace. */
export function nsIp(sb: OvsSandbox, nsPath: string, lines: readonly string[]): Promise<RunResult> {
  return sb.inHost('nsenter', [`--net=${nsPath}`, 'ip', '-batch', '-'], `${lines.join('\n')}\n`);
}

export function inNs(nsPath: string, file: string, args: readonly string[]): Promise<RunResult> {
  return run('nsenter', [`--net=${nsPath}`, file, ...args], { okExitCodes: [1, 2] });
}

/** Echo replies received by `count` pings (0 when nothing came back). */
export async function ping(from: Workload, to: string, opts: { count?: number; waitS?: number; source?: string; broadcast?: boolean } = {}): Promise<number> {
  const args = ['-n', '-q', '-c', String(opts.count ?? 2), '-i', '0.2', '-W', String(opts.waitS ?? 1)];
  if (opts.source) args.push('-I', opts.source);
  if (opts.broadcast) args.push('-b');
  const r = await inNs(from.nsPath, 'ping', [...args, to]);
  const m = /(\d+) received/.exec(r.stdout);
  return m ? Number(m[1]) : 0;
}

/**
 * IPv4 packets the workload's stack received, total and broadcast (/proc/net
 * of its namespace), and `wire`: the total less what came over loopback (a
 * traffic listener's self-probe, the stack's own ICMP errors), i.e. what
 * came from the switch. Interface counters of eth0 do not serve: a veth's rx
 * counter also moves with its own transmissions, and /sys shows the caller's
 * devices.
 */
export async function ipReceived(w: Workload): Promise<{ all: number; broadcast: number; wire: number }> {
  // One process reads lo's counter, the IP counters, then lo's again; a loopback packet in between
  // makes the pair inconsistent, and such a sample is taken again.
  const loRx = (dev: string): number => Number(/^\s*lo:\s*\d+\s+(\d+)/m.exec(dev)?.[1] ?? NaN);
  for (let attempt = 0; ; attempt++) {
    const out = (await inNs(w.nsPath, 'cat', ['/proc/net/dev', '/proc/net/snmp', '/proc/net/netstat', '/proc/net/dev'])).stdout;
    const parts = out.split(/(?=^Inter-\|)/m);
    const lo1 = loRx(parts[0] ?? ''), lo2 = loRx(parts[1] ?? '');
    if (lo1 !== lo2 && attempt < 10) continue;
    const all = counter(out, 'Ip', 'InReceives');
    return { all, broadcast: counter(out, 'IpExt', 'InBcastPkts'), wire: all - lo2 };
  }
}

function counter(table: string, group: string, name: string): number {
  const [head, values] = table.split('\n').filter((l) => l.startsWith(`${group}: `));
  const i = head?.split(' ').indexOf(name) ?? -1;
  const v = values?.split(' ')[i];
  if (i < 0 || v === undefined) throw new Error(`no ${group} ${name} counter`);
  return Number(v);
}

/** The workload's neighbour entry for `ip`: state and link-layer address, if any. */
export async function neighbour(w: Workload, ip: string): Promise<{ state: string; lladdr?: string }> {
  const r = await inNs(w.nsPath, 'ip', ['-j', 'neigh', 'show', 'to', ip, 'dev', 'eth0']);
  const entries = JSON.parse(r.stdout || '[]') as { state?: string[]; lladdr?: string }[];
  const e = entries[0];
  if (!e) return { state: 'NONE' };
  return { state: (e.state ?? []).join(','), ...(e.lladdr !== undefined ? { lladdr: e.lladdr } : {}) };
}

/** Runs `fn` over items with at most `limit` in flight (pings are slow to fail, many at once fit 2 cores). */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}
