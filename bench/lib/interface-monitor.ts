import { spawn, type ChildProcess } from 'node:child_process';
import { deferCleanup } from './cleanup.js';
import { applyMonitorLine, MONITORED_COLUMNS, type InterfaceReplica } from './interface-replica.js';
import { BenchTimeoutError, nowMs } from './timing.js';

/** How long the first snapshot may take before the monitor is used anyway (it catches up from its snapshot). */
const FIRST_SNAPSHOT_WAIT_MS = 3000;

interface Waiter {
  readonly done: (replica: InterfaceReplica) => boolean;
  readonly resolve: (atMs: number) => void;
  readonly reject: (err: Error) => void;
}

/**
 * Watches the Interface table through one long-lived `ovsdb-client monitor`
 * process instead of polling with a spawn every few ms: a bench's own
 * polling would steal CPU from the contender it is timing.
 */
export class InterfaceMonitor {
  readonly replica: InterfaceReplica = new Map();
  private readonly waiters = new Set<Waiter>();
  private readonly listeners = new Set<(replica: InterfaceReplica, atMs: number) => void>();
  private buffer = '';
  private exited: Error | undefined;
  private stderr = '';
  private readonly undo: () => Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    this.undo = deferCleanup(`ovsdb-client monitor (pid ${child.pid ?? '?'})`, () => this.kill());
  }

  /** Starts monitoring `dbEndpoint` (unix:PATH); resolves once the first snapshot arrived. */
  static async start(dbEndpoint: string, env: Readonly<Record<string, string>>): Promise<InterfaceMonitor> {
    const child = spawn('ovsdb-client', ['--format=json', 'monitor', dbEndpoint, 'Open_vSwitch', 'Interface', MONITORED_COLUMNS.join(',')], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const m = new InterfaceMonitor(child);
    const first = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, FIRST_SNAPSHOT_WAIT_MS);
      child.stdout?.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => m.onData(chunk));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      m.stderr = (m.stderr + chunk).slice(-2000);
    });
    child.once('exit', (code, signal) => m.onExit(code, signal));
    child.once('error', (err) => m.onExit(null, null, err));
    await first;
    if (m.exited) throw m.exited;
    return m;
  }

  /** Resolves with the time (nowMs) of the update after which `done(replica)` first held. */
  waitFor(label: string, done: (replica: InterfaceReplica) => boolean, timeoutMs: number): Promise<number> {
    if (done(this.replica)) return Promise.resolve(nowMs());
    if (this.exited) return Promise.reject(this.exited);
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new BenchTimeoutError(label, timeoutMs));
      }, timeoutMs);
      const waiter: Waiter = {
        done,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** Calls `fn` after every update that changed the replica (with the time it arrived); returns the unsubscribe. */
  onUpdate(fn: (replica: InterfaceReplica, atMs: number) => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  async stop(): Promise<void> {
    await this.undo();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    let changed = false;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line.trim() !== '' && applyMonitorLine(this.replica, line)) changed = true;
    }
    if (!changed) return;
    const at = nowMs();
    for (const fn of [...this.listeners]) fn(this.replica, at);
    for (const w of [...this.waiters]) {
      if (w.done(this.replica)) {
        this.waiters.delete(w);
        w.resolve(at);
      }
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, err?: Error): void {
    if (this.exited) return;
    this.exited = err ?? new Error(`ovsdb-client monitor exited (${code ?? signal}): ${this.stderr.trim().split('\n').slice(-2).join(' | ')}`);
    for (const w of this.waiters) w.reject(this.exited);
    this.waiters.clear();
  }

  private async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await gone;
    clearTimeout(timer);
  }
}
