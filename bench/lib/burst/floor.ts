import { run } from '../../../src/exec/run.js';
import { benchIp, benchMac, benchNames, BENCH_PREFIX_LEN } from '../addresses.js';
import { mapLimit } from '../concurrency.js';
import { InterfaceMonitor } from '../interface-monitor.js';
import { interfaceProblems, readNsInterface, spotIndices } from '../netns-check.js';
import { startBenchSandbox } from '../sandbox.js';
import { nowMs } from '../timing.js';
import { VerificationError, type Contender } from './types.js';

export const FLOOR_IF_NAME = 'eth0';
export const FLOOR_MTU = 1500;
const HOST_IF_PREFIX = 'flr';

export interface FloorOptions {
  /** `nsenter ... ip -batch -` processes in flight at once. */
  readonly concurrency: number;
}

/** Host-side veth name of the i-th namespace (flr0001...), within IFNAMSIZ. */
export function floorHostIf(i: number): string {
  return `${HOST_IF_PREFIX}${String(i + 1).padStart(4, '0')}`;
}

/** The one host-netns batch: every veth, its peer created directly inside its namespace, host end up. */
export function floorVethBatch(nsPaths: readonly string[]): string {
  const bad = nsPaths.find((p) => /\s/.test(p));
  // ip -batch splits on whitespace: such a path would be read as other arguments.
  if (bad !== undefined) throw new Error(`floor: namespace path ${JSON.stringify(bad)} contains whitespace`);
  return nsPaths
    .map((p, i) => `link add ${floorHostIf(i)} mtu ${FLOOR_MTU} type veth peer name ${FLOOR_IF_NAME} netns ${p}\nlink set ${floorHostIf(i)} up\n`)
    .join('');
}

/** The batch run inside one namespace: loopback, MAC, MTU, up, address. */
export function floorNsBatch(i: number): string {
  return [
    'link set lo up',
    `link set ${FLOOR_IF_NAME} address ${benchMac(i)} mtu ${FLOOR_MTU} up`,
    `addr add ${benchIp(i)}/${BENCH_PREFIX_LEN} dev ${FLOOR_IF_NAME}`,
    '',
  ].join('\n');
}

/** `ovs-vsctl` argv adding every port in one transaction. */
export function floorVsctlArgs(bridge: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => ['--', 'add-port', bridge, floorHostIf(i)]).flat();
}

/**
 * The hand-batched floor (design §9): one `ip -batch` for all veths, one
 * `ip -batch` per namespace (bounded parallel), one OVSDB transaction for all
 * ports — the last two overlapped, as a careful operator script would.
 */
export function floorContender(opts: FloorOptions): Contender {
  return async ({ n, bridge, timeoutMs, log }) => {
    const names = benchNames('floor-', n);
    const { sb, stop } = await startBenchSandbox('burst-floor', bridge);
    let monitor: InterfaceMonitor | undefined;
    try {
      const paths = await sb.netnsDir.add(...names);
      monitor = await InterfaceMonitor.start(sb.dbEndpoint, sb.env);
      const hostIfs = new Set(names.map((_, i) => floorHostIf(i)));
      const attached = (row: { name: string; ofport: number | undefined }): boolean => hostIfs.has(row.name) && row.ofport !== undefined && row.ofport > 0;
      log(`floor: ${n} namespaces, concurrency ${opts.concurrency}`);

      const t0 = nowMs();
      const stages: Record<string, number> = {};
      await run('ip', ['-batch', '-'], { netns: sb.hostNetns, input: floorVethBatch(paths), timeoutMs });
      stages['veths (one ip -batch)'] = nowMs() - t0;
      await Promise.all([
        mapLimit(paths, opts.concurrency, (p, i) => run('ip', ['-batch', '-'], { netns: p, input: floorNsBatch(i), timeoutMs })).then(() => {
          stages['namespaces configured (ip -batch each)'] = nowMs() - t0;
        }),
        run('ovs-vsctl', [`--db=${sb.dbEndpoint}`, `--timeout=${Math.ceil(timeoutMs / 1000)}`, ...floorVsctlArgs(bridge, n)], { env: sb.env, timeoutMs }).then(() => {
          stages['ports added (one ovs-vsctl)'] = nowMs() - t0;
        }),
      ]);
      const doneAt = await monitor.waitFor('floor: ofports', (rep) => [...rep.values()].filter(attached).length >= n, timeoutMs);
      const totalMs = Math.max(doneAt, nowMs()) - t0;
      stages['all ofports assigned'] = totalMs;

      const problems: string[] = [];
      const rows = [...monitor.replica.values()];
      const spots = spotIndices(n);
      for (const i of spots) {
        const port = floorHostIf(i);
        const br = (await sb.vsctl('port-to-br', port)).trim();
        if (br !== bridge) problems.push(`port ${port}: on bridge ${br}, expected ${bridge}`);
        const nsPath = paths[i] as string;
        problems.push(...interfaceProblems(nsPath, FLOOR_IF_NAME, await readNsInterface(nsPath, FLOOR_IF_NAME), { ipv4: `${benchIp(i)}/${BENCH_PREFIX_LEN}`, mac: benchMac(i), mtu: FLOOR_MTU }));
      }
      if (problems.length) throw new VerificationError('floor', problems);
      return {
        contender: 'floor',
        status: 'ok',
        n,
        measuredN: n,
        extrapolated: false,
        totalMs,
        perNsMs: totalMs / n,
        stages,
        verified: { spotChecked: spots.length, portsAttached: rows.filter(attached).length },
        notes: [],
      };
    } finally {
      await monitor?.stop();
      await stop();
    }
  };
}
