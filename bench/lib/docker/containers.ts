import type { DockerEnv } from '../../../test/helpers/docker-env.js';
import { mapLimit } from '../concurrency.js';
import { nowMs } from '../timing.js';

/** One `docker run -d` as a user types it: when it was started and when it returned. */
export interface TimedRun {
  readonly name: string;
  /** Full container id, as `docker run -d` prints it (and as ports record it in `container_id`). */
  readonly id: string;
  readonly startMs: number;
  readonly returnMs: number;
}

/** `docker run -d --label K=V ... IMAGE sleep` timed around the CLI process (argv only). */
export async function timedRun(docker: DockerEnv, name: string, labels: Readonly<Record<string, string>>): Promise<TimedRun> {
  const startMs = nowMs();
  const id = await docker.runContainer(name, { labels });
  const returnMs = nowMs();
  if (!/^[0-9a-f]{64}$/.test(id)) throw new Error(`docker run ${name}: unexpected output ${JSON.stringify(id.slice(0, 200))}`);
  return { name, id, startMs, returnMs };
}

/** Starts every container with at most `concurrency` `docker run` processes at once; `onReturn` sees each as it returns. */
export function runBurst(
  docker: DockerEnv,
  names: readonly string[],
  labels: Readonly<Record<string, string>>,
  concurrency: number,
  onReturn: (r: TimedRun) => void = () => undefined,
): Promise<TimedRun[]> {
  return mapLimit(names, concurrency, async (name) => {
    const r = await timedRun(docker, name, labels);
    onReturn(r);
    return r;
  });
}

/** `docker rm -f` of the given containers, in chunks (one CLI process removes its list in parallel). */
export async function removeContainers(docker: DockerEnv, names: readonly string[]): Promise<void> {
  for (let i = 0; i < names.length; i += 50) await docker.cli(['rm', '-f', ...names.slice(i, i + 50)], [1]);
}
