/**
 * Teardown that must run however a bench ends: normal return, a thrown
 * error, or Ctrl-C / SIGTERM. Each resource registers its undo step when it
 * is created and removes it once it has been undone normally.
 */
type Undo = () => Promise<void> | void;

const pending = new Map<number, { label: string; undo: Undo }>();
let nextId = 1;
let installed = false;
let stopping = false;

/** Registers an undo step; returns a function that runs it now (once) and unregisters it. */
export function deferCleanup(label: string, undo: Undo): () => Promise<void> {
  const id = nextId++;
  pending.set(id, { label, undo });
  return async () => {
    if (!pending.delete(id)) return;
    await undo();
  };
}

/** Runs every pending undo step, newest first; failures are reported, not thrown, so the rest still run. */
export async function runAllCleanups(log: (msg: string) => void = (m) => process.stderr.write(`${m}\n`)): Promise<void> {
  const steps = [...pending.entries()].reverse();
  pending.clear();
  for (const [, { label, undo }] of steps) {
    try {
      await undo();
    } catch (err) {
      log(`cleanup of ${label} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** Runs a benchmark's main: its exit code (none returned: left as is); on a failure, its stack (after `name:`), every cleanup, exit code 1. */
export function runBench(name: string, main: () => Promise<number | void>): void {
  main().then(
    (code) => {
      if (typeof code === 'number') process.exitCode = code;
    },
    async (err: unknown) => {
      process.stderr.write(`${name}: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      await runAllCleanups();
      process.exitCode = 1;
    },
  );
}

/**
 * On SIGINT/SIGTERM: undo everything, then exit 130/143; a second signal
 * exits at once. The listener stays registered (not `once`): libraries that
 * re-raise a signal when theirs is the only listener left (execa's
 * signal-exit) would otherwise kill the process before the undo finishes.
 */
export function installSignalCleanup(): void {
  if (installed) return;
  installed = true;
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(code);
      stopping = true;
      process.stderr.write(`\n${signal}: cleaning up ${pending.size} resource(s)...\n`);
      void runAllCleanups().finally(() => process.exit(code));
    });
  }
}

/** True once a stop signal arrived: a bench must not write results of an interrupted run. */
export function isInterrupted(): boolean {
  return stopping;
}

export function pendingCleanups(): string[] {
  return [...pending.values()].map((p) => p.label);
}
