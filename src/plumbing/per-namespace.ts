import { mapLimit } from './map-limit.js';

/** One workload-side veth end, in its (pinned) namespace. */
export interface NamespaceTarget {
  /** The pinned namespace's file descriptor in this process (for setns). */
  readonly fd: number;
  /** `/proc/PID/fd/N` of the same namespace (for nsenter, in the fallback). */
  readonly ref: string;
  readonly ifname: string;
}

/**
 * Applies one setting to each target in its namespace: in-process for every target when `inProcess`
 * is given (the native addon), else by `spawn` (one process per namespace, `concurrency` at once).
 * One target's failure never stops the others: errors by target index; targets not in the map succeeded.
 */
export async function applyPerNamespace<T>(
  targets: readonly T[],
  concurrency: number,
  inProcess: ((target: T) => void) | undefined,
  spawn: (target: T) => Promise<void>,
): Promise<Map<number, Error>> {
  const failed = new Map<number, Error>();
  if (inProcess) {
    targets.forEach((t, i) => {
      try {
        inProcess(t);
      } catch (err) {
        failed.set(i, err as Error);
      }
    });
    return failed;
  }
  await mapLimit([...targets.entries()], concurrency, async ([i, t]) => {
    try {
      await spawn(t);
    } catch (err) {
      failed.set(i, err as Error);
    }
  });
  return failed;
}
