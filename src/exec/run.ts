import { execa } from 'execa';
import { CommandError } from '../errors/command-error.js';

export interface RunOptions {
  /** Text fed to the child's stdin (for `ip -batch -`, `ovs-ofctl --bundle ... -`). */
  readonly input?: string;
  /** Network namespace file to run in (via nsenter); unset = the caller's own. */
  readonly netns?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /** Exit codes other than 0 that are not failures. */
  readonly okExitCodes?: readonly number[];
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** Builds the argv that runs `file args` inside `netns` (or as is). */
export function commandArgv(file: string, args: readonly string[], netns?: string): string[] {
  return netns ? ['nsenter', `--net=${netns}`, '--', file, ...args] : [file, ...args];
}

/**
 * Runs a program with an argv array, never through a shell: untrusted names
 * (namespace files, manifest values) are data, not code.
 */
export async function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const argv = commandArgv(file, args, opts.netns);
  const [bin, ...rest] = argv as [string, ...string[]];
  let result;
  try {
    result = await execa(bin, rest, {
      input: opts.input ?? '',
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      extendEnv: false,
      timeout: opts.timeoutMs ?? 60_000,
      reject: false,
      stripFinalNewline: false,
    });
  } catch (err) {
    throw new CommandError(argv, undefined, String(err), { cause: err });
  }
  const exitCode = result.exitCode ?? -1;
  if (result.failed && !(opts.okExitCodes ?? []).includes(exitCode)) {
    const why = result.timedOut ? `timed out after ${opts.timeoutMs ?? 60_000} ms` : String(result.stderr ?? '');
    throw new CommandError(argv, result.exitCode, why || String(result.message ?? ''));
  }
  return { stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? ''), exitCode };
}
