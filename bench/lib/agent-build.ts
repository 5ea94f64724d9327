import { existsSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/exec/run.js';
import { deferCleanup } from './cleanup.js';
import { NSVSWITCH_BIN } from './agent-process.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Compiling src/ on a loaded 2-core machine takes tens of seconds. */
const BUILD_TIMEOUT_MS = 300_000;

/** Which agent a bench ran, so figures are never compared across entry points blindly. */
export interface AgentEntry {
  /** Path given to `node` as the CLI entry. */
  readonly bin: string;
  /** `compiled`: plain JavaScript; `tsx`: TypeScript compiled on the fly (a loader thread and caches add RSS and start time). */
  readonly kind: 'compiled' | 'tsx' | 'given';
  readonly note: string;
  /** Removes the private build (no-op otherwise). */
  readonly dispose: () => Promise<void>;
}

/**
 * A private compiled copy of the agent for benches that measure memory and
 * start time: bin/nsvswitch.js falls back to tsx whenever src/ is newer than
 * dist/, and tsx's loader would be measured with the agent. The copy lives
 * under node_modules/.cache (so node finds the dependencies) with the
 * checkout's layout (`dist/`, and `build/` linked, so the native addon loads
 * as in production) and is removed afterwards; nothing shared (dist/) is
 * touched.
 */
export async function privateAgentBuild(log: (msg: string) => void, given?: string): Promise<AgentEntry> {
  const none = async (): Promise<void> => undefined;
  if (given !== undefined) return { bin: given, kind: 'given', note: `agent entry given: ${given}`, dispose: none };
  const out = join(ROOT, 'node_modules', '.cache', 'nsvswitch-bench', `agent-${process.pid}-${Date.now()}`);
  const dispose = deferCleanup(`private agent build ${out}`, () => rm(out, { recursive: true, force: true }));
  try {
    await mkdir(out, { recursive: true });
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await run(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(out, 'dist'), '--declaration', 'false', '--sourceMap', 'false', '--incremental', 'false'], {
      timeoutMs: BUILD_TIMEOUT_MS,
      okExitCodes: [1, 2],
    });
    const main = join(out, 'dist', 'main.js');
    if (!existsSync(main)) throw new Error(`tsc emitted no main.js (exit ${r.exitCode}): ${r.stdout.split('\n').slice(0, 3).join(' | ')}`);
    // The nearest package.json decides the module type; make it explicit for the copy.
    await writeFile(join(out, 'package.json'), '{ "type": "module" }\n');
    // The native addon is found relative to dist/ (src/native/native.ts): without it the agent would spawn ethtool and sysctl.
    if (existsSync(join(ROOT, 'build'))) await symlink(join(ROOT, 'build'), join(out, 'build'));
    const note = r.exitCode === 0 ? 'private compiled copy of src/' : `private compiled copy of src/ (tsc reported type errors, exit ${r.exitCode}; JavaScript was emitted)`;
    return { bin: main, kind: 'compiled', note, dispose };
  } catch (err) {
    await dispose();
    log(`agent build failed, falling back to ${NSVSWITCH_BIN}: ${err instanceof Error ? err.message : String(err)}`);
    return { bin: NSVSWITCH_BIN, kind: 'tsx', note: 'bin/nsvswitch.js (may run src/ through tsx: RSS and start time include the loader)', dispose: none };
  }
}
