import { spawn, type ChildProcess } from 'node:child_process';
import { deferCleanup } from './cleanup.js';
import { BenchTimeoutError, nowMs } from './timing.js';

/** Poll step of the in-namespace loop: fine enough for start times of a few hundred ms. */
export const READYZ_POLL_MS = 10;

/** Polls the URL until it answers 200, printing "up" once running and "ready" on success. */
const LOOP = `const [url, step] = [process.argv[1], Number(process.argv[2])];
process.stdout.write('up\\n');
const tick = () => fetch(url, { signal: AbortSignal.timeout(1000) })
  .then((r) => { if (r.status === 200) { process.stdout.write('ready\\n'); process.exit(0); } })
  .catch(() => undefined)
  .finally(() => setTimeout(tick, step));
tick();`;

/**
 * One long-lived poller of `/readyz` inside the agent's network namespace:
 * a spawn per probe (httpGetInNetns) costs ~100 ms of CPU on a loaded
 * 2-core machine, too coarse and too disturbing to time an agent's start.
 * Start it before the agent; `ready()` resolves with the nowMs() at which
 * the first 200 arrived.
 */
export class ReadyzWatcher {
  private readonly undo: () => Promise<void>;
  private readonly readyAt: Promise<number>;

  private constructor(private readonly child: ChildProcess) {
    this.undo = deferCleanup(`/readyz poller (pid ${child.pid ?? '?'})`, () => this.kill());
    let buf = '';
    this.readyAt = new Promise<number>((resolve, reject) => {
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (c: string) => {
        buf += c;
        if (buf.includes('ready\n')) resolve(nowMs());
      });
      child.once('exit', (code, signal) => {
        if (!buf.includes('ready\n')) reject(new Error(`/readyz poller exited (${code ?? signal}) before the agent was ready`));
      });
      child.once('error', reject);
    });
    this.readyAt.catch(() => undefined);
  }

  /** Starts the poller in `netns` and waits until it runs (its own start is not part of any timing). */
  static async start(netns: string, url: string, timeoutMs = 30_000): Promise<ReadyzWatcher> {
    const child = spawn('nsenter', [`--net=${netns}`, '--', process.execPath, '-e', LOOP, url, String(READYZ_POLL_MS)], { stdio: ['ignore', 'pipe', 'ignore'] });
    const w = new ReadyzWatcher(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new BenchTimeoutError('/readyz poller start', timeoutMs)), timeoutMs);
      child.stdout?.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', () => {
        clearTimeout(timer);
        reject(new Error('/readyz poller exited at start'));
      });
    }).catch(async (err: unknown) => {
      await w.stop();
      throw err;
    });
    return w;
  }

  /** nowMs() of the first 200, or a BenchTimeoutError. */
  async ready(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([this.readyAt, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new BenchTimeoutError('agent /readyz 200', timeoutMs)), timeoutMs)))]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    await this.undo();
  }

  private async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await gone;
  }
}
