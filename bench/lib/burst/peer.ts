import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CommandError } from '../../../src/errors/command-error.js';
import { run } from '../../../src/exec/run.js';
import { benchIp, benchMac, benchNames, BENCH_PREFIX_LEN } from '../addresses.js';
import { writeDockerShim } from '../docker-shim.js';
import { InterfaceMonitor } from '../interface-monitor.js';
import { interfaceProblems, readNsInterface, spotIndices } from '../netns-check.js';
import { startBenchSandbox } from '../sandbox.js';
import { Sleepers } from '../sleepers.js';
import { deltas, extrapolate, summarize } from '../stats.js';
import { parsePeerStamps } from './peer-output.js';
import { VerificationError, type Contender, type ContenderOk } from './types.js';

export const PEER_IF_NAME = 'eth0';
export const PEER_MTU = 1500;
/** The machine's namespace-name dir that ovs-docker writes pid links into. */
const RUN_NETNS = '/var/run/netns';

/**
 * Drives `ovs-docker add-port` once per container, as an operator's loop
 * would, printing a timestamp after each. It runs in a private mount
 * namespace with a fresh tmpfs over /var/run/netns (or /var/run when that dir
 * does not exist yet), so the pid links ovs-docker creates there can never be
 * left on the machine or collide with another run.
 */
const PEER_LOOP = `set -u
if [ -d ${RUN_NETNS} ]; then mount -t tmpfs nsvs-peer-netns ${RUN_NETNS}; else mount -t tmpfs nsvs-peer-run /var/run; fi || { echo "cannot mount a private ${RUN_NETNS}" >&2; exit 1; }
[ -S "$OVS_RUNDIR/db.sock" ] || { echo "OVS db socket $OVS_RUNDIR/db.sock not visible" >&2; exit 1; }
br=$1; ifname=$2; mtu=$3; shift 3
printf 'start %s\\n' "$EPOCHREALTIME"
while [ $# -ge 3 ]; do
  ovs-docker add-port "$br" "$ifname" "$1" --ipaddress="$2" --macaddress="$3" --mtu="$mtu" || { echo "ovs-docker add-port failed for container $1" >&2; exit 1; }
  printf 'done %s\\n' "$EPOCHREALTIME"
  shift 3
done
for f in ${RUN_NETNS}/*; do [ -e "$f" ] || [ -L "$f" ] && printf 'leftover %s\\n' "$f"; done
true
`;

export interface PeerOptions {
  /** Plug at most this many and extrapolate linearly to n (ovs-docker at n=1000 takes minutes). */
  readonly sampleLimit: number;
}

/** OVS's own ovs-docker, one add-port per namespace: the peer. */
export function peerContender(opts: PeerOptions): Contender {
  return async ({ n, bridge, timeoutMs, log }) => {
    const measuredN = Math.min(n, opts.sampleLimit);
    const names = benchNames('peer-', measuredN);
    const runNetnsBefore = await readdir(RUN_NETNS).catch(() => [] as string[]);
    const { sb, stop } = await startBenchSandbox('burst-peer', bridge);
    let sleepers: Sleepers | undefined;
    let monitor: InterfaceMonitor | undefined;
    try {
      const paths = await sb.netnsDir.add(...names);
      sleepers = await Sleepers.start(paths);
      const pids = sleepers.pids;
      const shim = await writeDockerShim(join(sb.dir, 'docker-shim'), new Map(names.map((c, i) => [c, pids[i] ?? -1])));
      monitor = await InterfaceMonitor.start(sb.dbEndpoint, sb.env);
      const triples = names.flatMap((c, i) => [c, `${benchIp(i)}/${BENCH_PREFIX_LEN}`, benchMac(i)]);
      log(`peer: ovs-docker add-port x ${measuredN}${measuredN < n ? ` (sample of ${n}, extrapolated)` : ''}`);

      const env = { ...sb.env, PATH: `${shim}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`, LC_ALL: 'C' };
      const r = await run('unshare', ['--mount', '--propagation', 'private', 'bash', '-c', PEER_LOOP, 'nsvs-peer-loop', bridge, PEER_IF_NAME, String(PEER_MTU), ...triples], {
        netns: sb.hostNetns,
        env,
        timeoutMs,
      }).catch((err: unknown) => {
        // The loop's argv is the whole script and every container: report only what went wrong.
        const why = err instanceof CommandError ? err.stderr.trim().split('\n').slice(-3).join(' | ') || `exit ${err.exitCode ?? 'signal'}` : String(err);
        throw new Error(`ovs-docker loop failed: ${why}`, { cause: err });
      });
      const stamps = parsePeerStamps(r.stdout);
      if (stamps.doneMs.length !== measuredN) throw new Error(`peer: ${stamps.doneMs.length} of ${measuredN} add-ports reported done`);
      const attached = (row: { externalIds: Readonly<Record<string, string>>; ofport: number | undefined }): boolean =>
        row.externalIds.container_id !== undefined && row.ofport !== undefined && row.ofport > 0;
      // ovs-vsctl in ovs-docker already waits for ovs-vswitchd; this only confirms it.
      await monitor.waitFor('peer: ofports', (rep) => [...rep.values()].filter(attached).length >= measuredN, 30_000);
      const lastDone = stamps.doneMs[stamps.doneMs.length - 1] ?? stamps.startMs;
      const measuredMs = lastDone - stamps.startMs;

      const problems: string[] = [];
      if (stamps.leftovers.length) problems.push(`ovs-docker left ${stamps.leftovers.join(', ')}`);
      const runNetnsAfter = await readdir(RUN_NETNS).catch(() => [] as string[]);
      const added = runNetnsAfter.filter((e) => !runNetnsBefore.includes(e));
      if (added.length) problems.push(`${RUN_NETNS} gained ${added.join(', ')} on the machine`);
      const rows = [...monitor.replica.values()];
      const spots = spotIndices(measuredN);
      for (const i of spots) {
        const name = names[i] as string;
        const row = rows.find((x) => x.externalIds.container_id === name);
        if (!row || !attached(row)) {
          problems.push(`container ${name}: no attached port on bridge ${bridge}`);
          continue;
        }
        const br = (await sb.vsctl('port-to-br', row.name)).trim();
        if (br !== bridge) problems.push(`port ${row.name}: on bridge ${br}, expected ${bridge}`);
        const state = await readNsInterface(sb.netnsDir.path(name), PEER_IF_NAME);
        problems.push(...interfaceProblems(sb.netnsDir.path(name), PEER_IF_NAME, state, { ipv4: `${benchIp(i)}/${BENCH_PREFIX_LEN}`, mac: benchMac(i), mtu: PEER_MTU }));
      }
      if (problems.length) throw new VerificationError('peer', problems);

      const per = deltas(stamps.startMs, stamps.doneMs);
      const s = summarize(per);
      const tenth = Math.max(1, Math.floor(per.length / 10));
      const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
      const totalMs = measuredN < n ? extrapolate(measuredMs, measuredN, n) : measuredMs;
      const result: ContenderOk = {
        contender: 'peer',
        status: 'ok',
        n,
        measuredN,
        extrapolated: measuredN < n,
        totalMs,
        perNsMs: totalMs / n,
        stages: { [`${measuredN} add-ports`]: measuredMs },
        perItem: { p50: s.p50, p95: s.p95, p99: s.p99, firstTenthMean: mean(per.slice(0, tenth)), lastTenthMean: mean(per.slice(-tenth)) },
        verified: { spotChecked: spots.length, portsAttached: rows.filter(attached).length },
        notes: measuredN < n
          ? [`peer at n=${n}: ${measuredN} add-ports measured, extrapolated linearly (per-port cost grows with the number of ports, so this under-states the peer)`]
          : [],
      };
      return result;
    } finally {
      await monitor?.stop();
      await sleepers?.stop();
      await stop();
    }
  };
}
