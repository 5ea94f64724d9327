import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';

const CHILD = fileURLToPath(new URL('../../fixtures/http-server-child.ts', import.meta.url));

/** Open descriptors of a process (its /proc/PID/fd entries). */
const openFds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/** The HTTP endpoint in a child process of its own, so its descriptors can be counted; ended by its pid only. */
async function startChild(opts: Record<string, number> = {}) {
  const child = execa(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(opts)], { reject: false, stdin: 'ignore' });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void child.then((r) => reject(new Error(`child exited: ${r.stderr}`)));
  });
  return { child, port, pid: child.pid! };
}

/** Opens a TCP connection that never sends a byte; resolves once connected (or failed). */
function idleSocket(port: number, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    sockets.add(s);
    s.on('connect', () => resolve());
    s.on('error', () => resolve());
    s.on('close', () => {
      sockets.delete(s);
      resolve();
    });
  });
}

describe('HTTP endpoint under a flood of idle connections', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('2,000 idle sockets: /healthz still answers and the process keeps at most ~256 connections open', async () => {
    const { child, port, pid } = await startChild();
    cleanup.push(async () => {
      if (child.exitCode === null) process.kill(pid, 'SIGTERM');
      await child;
    });
    const sockets = new Set<Socket>();
    cleanup.push(async () => {
      for (const s of sockets) s.destroy();
    });
    const baseline = openFds(pid);
    let maxFds = baseline;
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(Array.from({ length: 200 }, () => idleSocket(port, sockets)));
      maxFds = Math.max(maxFds, openFds(pid));
    }
    // The flood is still open (as far as the attacker knows); a probe gets through.
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, checks: { process: true } });
    maxFds = Math.max(maxFds, openFds(pid));
    expect(maxFds - baseline).toBeLessThanOrEqual(256 + 16);
    expect(maxFds - baseline).toBeGreaterThanOrEqual(200);
  }, 60_000);

  it('closes a connection that never sends a byte after the idle timeout, and one stuck in its headers after the headers timeout', async () => {
    const { child, port, pid } = await startChild({ idleTimeoutMs: 500, headersTimeoutMs: 500, requestTimeoutMs: 1000 });
    cleanup.push(async () => {
      if (child.exitCode === null) process.kill(pid, 'SIGTERM');
      await child;
    });
    const closedAfter = (write?: string): Promise<number> =>
      new Promise((resolve) => {
        const t0 = Date.now();
        const s = connect({ host: '127.0.0.1', port });
        s.on('connect', () => {
          if (write) s.write(write);
        });
        // A slowloris: a header byte now and then keeps the socket busy, but not its request.
        const drip = write ? setInterval(() => s.write('a'), 100) : undefined;
        s.on('error', () => undefined);
        s.on('data', () => undefined);
        s.on('close', () => {
          clearInterval(drip);
          resolve(Date.now() - t0);
        });
        cleanup.push(async () => {
          clearInterval(drip);
          s.destroy();
        });
      });
    const [idle, slow] = await Promise.all([closedAfter(), closedAfter('GET /healthz HTTP/1.1\r\nX-Slow: ')]);
    expect(idle).toBeGreaterThanOrEqual(400);
    expect(idle).toBeLessThan(3_000);
    expect(slow).toBeGreaterThanOrEqual(400);
    expect(slow).toBeLessThan(3_000);
  }, 30_000);
});
