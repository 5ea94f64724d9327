import { spawn, type ChildProcess } from 'node:child_process';
import { readlink, stat } from 'node:fs/promises';
import { deferCleanup } from './cleanup.js';
import { pollUntil } from './timing.js';

/** How long a sleeper may take to enter its namespace. */
const ENTER_TIMEOUT_MS = 30_000;
/** Sleepers outlive any bench by far; they are killed by pid in stop(). */
const SLEEP_SECONDS = '3600';

/**
 * One long-lived process inside each namespace, the way a container's init
 * holds its namespace: tools that address a namespace by pid (ovs-docker via
 * `docker inspect`) get a real pid that lives in that namespace.
 */
export class Sleepers {
  private readonly undo: () => Promise<void>;

  private constructor(private readonly children: readonly ChildProcess[]) {
    this.undo = deferCleanup(`${children.length} sleeper process(es)`, () => this.killAll());
  }

  get pids(): number[] {
    return this.children.map((c) => c.pid ?? -1);
  }

  /** Starts `nsenter --net=PATH sleep` per namespace and waits until each is inside its namespace. */
  static async start(nsPaths: readonly string[]): Promise<Sleepers> {
    const children = nsPaths.map((p) => spawn('nsenter', [`--net=${p}`, 'sleep', SLEEP_SECONDS], { stdio: 'ignore' }));
    const s = new Sleepers(children);
    try {
      const want = await Promise.all(nsPaths.map(async (p) => `net:[${(await stat(p)).ino}]`));
      await pollUntil('sleepers entering their namespaces', async () => {
        for (const [i, c] of children.entries()) {
          if (c.exitCode !== null || c.signalCode !== null) throw new Error(`sleeper for ${nsPaths[i]} exited (${c.exitCode ?? c.signalCode})`);
          const have = await readlink(`/proc/${c.pid}/ns/net`).catch(() => '');
          if (have !== want[i]) return undefined;
        }
        return true;
      }, ENTER_TIMEOUT_MS, 20);
    } catch (err) {
      await s.stop();
      throw err;
    }
    return s;
  }

  async stop(): Promise<void> {
    await this.undo();
  }

  private async killAll(): Promise<void> {
    await Promise.all(
      this.children.map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
        c.kill('SIGKILL');
        await gone;
      }),
    );
  }
}
