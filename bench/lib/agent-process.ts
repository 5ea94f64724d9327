import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deferCleanup } from './cleanup.js';

/** deploy/systemd/nsvswitch.service and deploy/container/Containerfile run the agent with these. */
export const AGENT_NODE_OPTIONS = '--max-semi-space-size=2';

/** The CLI entry of this checkout (bin/nsvswitch.js), independent of the caller's cwd. */
export const NSVSWITCH_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'nsvswitch.js');
/** Grace period between SIGTERM and SIGKILL when stopping the agent. */
const STOP_GRACE_MS = 5000;
const STDERR_TAIL_CHARS = 4000;

/**
 * `nsvswitch run` as a child process inside a network namespace (where OVS
 * runs), ended by its own pid: SIGTERM, then SIGKILL after a grace period.
 */
export class AgentProcess {
  private stderrTail = '';
  private readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly undo: () => Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (c: string) => {
      this.stderrTail = (this.stderrTail + c).slice(-STDERR_TAIL_CHARS);
    });
    // NSVS_BENCH_AGENT_LOG=FILE keeps the agent's log (a pass's triggers and duration) for a closer look.
    const keep = process.env.NSVS_BENCH_AGENT_LOG;
    if (keep && child.stdout) child.stdout.pipe(createWriteStream(keep, { flags: 'a' }));
    else child.stdout?.resume();
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (err) => {
        this.stderrTail += `\n${err.message}`;
        resolve({ code: null, signal: null });
      });
    });
    this.undo = deferCleanup(`nsvswitch agent (pid ${child.pid ?? '?'})`, () => this.terminate());
  }

  /** Starts `node BIN run ARGS` (BIN: this checkout's bin/nsvswitch.js by default) inside `netns`, with `env` added. */
  static start(args: readonly string[], netns: string, env: Readonly<Record<string, string>>, bin = NSVSWITCH_BIN): AgentProcess {
    const child = spawn('nsenter', [`--net=${netns}`, '--', process.execPath, bin, 'run', ...args], {
      // The node options the shipped systemd unit and container set (unless the caller sets its own).
      env: { NODE_OPTIONS: AGENT_NODE_OPTIONS, ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new AgentProcess(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Rejects when the agent exits (it must not, while a bench waits on it), with its last stderr lines. */
  async exited(): Promise<never> {
    const { code, signal } = await this.exit;
    throw new Error(`agent exited (${code !== null ? `code ${code}` : `signal ${signal ?? '?'}`}): ${this.lastLines()}`);
  }

  lastLines(n = 3): string {
    return this.stderrTail.trim().split('\n').slice(-n).join(' | ') || '(no output)';
  }

  async stop(): Promise<void> {
    await this.undo();
  }

  private async terminate(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exit;
    clearTimeout(timer);
  }
}
