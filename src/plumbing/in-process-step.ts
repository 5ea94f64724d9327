import { closeSync, openSync } from 'node:fs';
import type { PlumbingMode } from '../config/types.js';
import type { Logger } from '../observe/logger.js';

export interface InProcessFallbackOptions<E extends Error> {
  /** `native`: a failed step is thrown; `auto` (and `process`, which never gets here): said once, then the process runs. */
  readonly mode: PlumbingMode;
  readonly logger?: Logger | undefined;
  /** Fields of the one warning (the table, the bridge). */
  readonly fields: Readonly<Record<string, unknown>>;
  /** Its message: what failed and which process runs instead. */
  readonly message: string;
  /** The typed error a failure becomes (OVS identifiers in it). */
  readonly wrap: (step: string, names: readonly string[], err: Error) => E;
  /** Errors thrown as they are: a refusal the kernel named, which the process would meet too. */
  readonly passThrough: (err: unknown) => boolean;
}

/**
 * One rule for an in-process step that has a process to fall back on: a step that could not run at all (socket,
 * namespace, addon) is an error in `native`; in `auto` it is said once for the life of the owner, and the caller
 * runs the process for this call. A refusal the process would meet as well is thrown in every mode.
 */
export class InProcessFallback<E extends Error> {
  private fellBack = false;

  constructor(private readonly o: InProcessFallbackOptions<E>) {}

  /** `fn`'s answer, or undefined when it failed and the caller is to run the process. */
  run<T>(step: string, names: readonly string[], fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      if (this.o.passThrough(err)) throw err;
      const wrapped = this.o.wrap(step, names, err as Error);
      if (this.o.mode === 'native') throw wrapped;
      if (!this.fellBack) this.o.logger?.warn({ ...this.o.fields, step, err: wrapped.message }, this.o.message);
      this.fellBack = true;
      return undefined;
    }
  }
}

/**
 * `fn` with a descriptor of the namespace file `path` (-1 when undefined: the caller's own namespace), opened and
 * closed synchronously: microseconds, where a thread-pool round trip each is not.
 */
export function withNetnsFdSync<T>(path: string | undefined, fn: (fd: number) => T): T {
  const fd = path === undefined ? -1 : openSync(path, 'r');
  try {
    return fn(fd);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
