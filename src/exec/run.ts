import { spawn } from 'node:child_process';
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

export const DEFAULT_TIMEOUT_MS = 60_000;
/** Most output kept from one child (stdout and stderr together); more kills it: a runaway child cannot fill the agent's memory. */
export const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
/** After the timeout's SIGTERM, how long a child may take to exit before SIGKILL. */
const KILL_GRACE_MS = 5_000;

/** Builds the argv that runs `file args` inside `netns` (or as is). */
export function commandArgv(file: string, args: readonly string[], netns?: string): string[] {
  return netns ? ['nsenter', `--net=${netns}`, '--', file, ...args] : [file, ...args];
}

/**
 * Runs a program with an argv array, never through a shell: untrusted names
 * (namespace files, manifest values) are data, not code. Node's own
 * child_process, no wrapper library: the agent on its in-process paths
 * spawns almost nothing, and a wrapper's modules cost resident memory.
 */
export function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const argv = commandArgv(file, args, opts.netns);
  const [bin, ...rest] = argv as [string, ...string[]];
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise<RunResult>((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    let why: string | undefined;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const child = spawn(bin, rest, { env: opts.env ? { ...process.env, ...opts.env } : process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stop = (reason: string): void => {
      why ??= reason;
      child.kill('SIGTERM');
      killTimer ??= setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    const timer = setTimeout(() => stop(`timed out after ${timeoutMs} ms`), timeoutMs);
    const collect = (into: Buffer[]) => (b: Buffer): void => {
      bytes += b.length;
      if (bytes > MAX_OUTPUT_BYTES) return stop(`output over ${MAX_OUTPUT_BYTES} bytes`);
      into.push(b);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    // The child may exit without reading its input (EPIPE): its exit status says what happened.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      fn();
    };
    child.on('error', (e) => finish(() => reject(new CommandError(argv, undefined, String(e), { cause: e }))));
    child.on('close', (code, signal) => finish(() => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      const exitCode = code ?? -1;
      const ok = why === undefined && code !== null && (code === 0 || (opts.okExitCodes ?? []).includes(code));
      if (ok) return resolve({ stdout, stderr, exitCode });
      reject(new CommandError(argv, code ?? undefined, why ?? (stderr || `${signal ? `killed by ${signal}` : `exit ${exitCode}`}`)));
    }));
  });
}
