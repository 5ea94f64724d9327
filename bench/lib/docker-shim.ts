import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Container ids the shim answers for: plain names, never paths or shell text. */
const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * `docker inspect -f '{{.State.Pid}}' ID` and nothing else: the one call
 * ovs-docker makes. Each id's pid lives in a file named after the id.
 */
const SHIM = `#!/bin/sh
# Bench shim: answers only "docker inspect -f|--format '{{.State.Pid}}' ID".
dir=$(dirname "$0")
[ "$1" = inspect ] || { echo "docker shim: only 'inspect' is supported" >&2; exit 1; }
case "$2" in -f|--format) ;; *) echo "docker shim: expected -f FORMAT" >&2; exit 1 ;; esac
[ "$3" = '{{.State.Pid}}' ] || { echo "docker shim: only {{.State.Pid}} is supported" >&2; exit 1; }
case "$4" in ''|*/*|.*) echo "docker shim: bad container id" >&2; exit 1 ;; esac
[ -f "$dir/pids/$4" ] || { echo "Error: No such object: $4" >&2; exit 1; }
exec cat "$dir/pids/$4"
`;

/** Writes the shim into `dir` (to be put first in PATH); returns the dir. */
export async function writeDockerShim(dir: string, pidByContainer: ReadonlyMap<string, number>): Promise<string> {
  await mkdir(join(dir, 'pids'), { recursive: true });
  const file = join(dir, 'docker');
  await writeFile(file, SHIM);
  await chmod(file, 0o755);
  for (const [id, pid] of pidByContainer) {
    if (!CONTAINER_ID.test(id)) throw new Error(`docker shim: container id ${JSON.stringify(id)} is not a plain name`);
    await writeFile(join(dir, 'pids', id), `${pid}\n`);
  }
  return dir;
}
