import { dirname, join } from 'node:path';
import { CommandError } from '../../../src/errors/command-error.js';
import { run } from '../../../src/exec/run.js';
import type { OvsSandbox } from '../../../src/sandbox/ovs-sandbox.js';
import { DOCKER_CLI, type DockerEnv } from '../../../test/helpers/docker-env.js';
import { parsePeerStamps, type PeerStamps } from '../burst/peer-output.js';

/** The machine's namespace-name dir that ovs-docker writes pid links into. */
const RUN_NETNS = '/var/run/netns';

/**
 * OVS's own `ovs-docker add-port` once per container, as an operator's loop
 * would, against the real Docker engine (its `docker inspect` asks that
 * engine for the container's pid; no shim). A timestamp after each. It runs
 * in a private mount namespace with a fresh tmpfs over /var/run/netns (or
 * /var/run when that dir does not exist), so the pid links ovs-docker
 * creates there never reach the machine.
 */
const LOOP = `set -u
if [ -d ${RUN_NETNS} ]; then mount -t tmpfs nsvs-ovsdocker-netns ${RUN_NETNS}; else mount -t tmpfs nsvs-ovsdocker-run /var/run; fi || { echo "cannot mount a private ${RUN_NETNS}" >&2; exit 1; }
[ -S "$OVS_RUNDIR/db.sock" ] || { echo "OVS db socket $OVS_RUNDIR/db.sock not visible" >&2; exit 1; }
docker version --format '{{.Server.Version}}' >/dev/null || { echo "docker engine not reachable" >&2; exit 1; }
br=$1; ifname=$2; mtu=$3; shift 3
printf 'start %s\\n' "$EPOCHREALTIME"
while [ $# -ge 2 ]; do
  ovs-docker add-port "$br" "$ifname" "$1" --ipaddress="$2" --mtu="$mtu" || { echo "ovs-docker add-port failed for container $1" >&2; exit 1; }
  printf 'done %s\\n' "$EPOCHREALTIME"
  shift 2
done
for f in ${RUN_NETNS}/*; do [ -e "$f" ] || [ -L "$f" ] && printf 'leftover %s\\n' "$f"; done
true
`;

export interface OvsDockerTarget {
  readonly container: string;
  /** IPv4 address with prefix length. */
  readonly address: string;
}

/**
 * Runs the loop in the OVS sandbox's host namespace (where dockerd runs too),
 * with `ovs-vsctl` pointed at the sandbox's database (OVS_RUNDIR) and the
 * Docker CLI of the engine's package pointed at its socket (DOCKER_HOST).
 */
export async function ovsDockerLoop(
  sb: OvsSandbox,
  docker: DockerEnv,
  o: { bridge: string; ifName: string; mtu: number; targets: readonly OvsDockerTarget[]; timeoutMs: number },
): Promise<PeerStamps> {
  const env = {
    ...sb.env,
    // ovs-docker calls plain `docker`: the engine's own client first (a newer one may sit earlier in PATH).
    PATH: `${dirname(DOCKER_CLI)}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`,
    DOCKER_HOST: `unix://${docker.socket}`,
    DOCKER_CONFIG: join(docker.dir, 'cli'),
    LC_ALL: 'C',
  };
  const argv = o.targets.flatMap((t) => [t.container, t.address]);
  const r = await run('unshare', ['--mount', '--propagation', 'private', 'bash', '-c', LOOP, 'nsvs-ovsdocker-loop', o.bridge, o.ifName, String(o.mtu), ...argv], {
    netns: sb.hostNetns,
    env,
    timeoutMs: o.timeoutMs,
  }).catch((err: unknown) => {
    // The loop's argv is the whole script and every container: report only what went wrong.
    const why = err instanceof CommandError ? err.stderr.trim().split('\n').slice(-3).join(' | ') || `exit ${err.exitCode ?? 'signal'}` : String(err);
    throw new Error(`ovs-docker loop failed: ${why}`, { cause: err });
  });
  const stamps = parsePeerStamps(r.stdout);
  if (stamps.doneMs.length !== o.targets.length) throw new Error(`ovs-docker: ${stamps.doneMs.length} of ${o.targets.length} add-ports reported done`);
  if (stamps.leftovers.length > 0) throw new Error(`ovs-docker left ${stamps.leftovers.join(', ')}`);
  return stamps;
}
