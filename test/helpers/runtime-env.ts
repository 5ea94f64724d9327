// What the Docker and CRI test environments share: a busybox root file system for their images, a
// daemon started in the private host namespace with its log, and the clean-up of what it leaves.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from '../../src/exec/run.js';
import { isAlive } from '../../src/sandbox/pid-file.js';

/** How long a daemon may take to answer after its start, and to end after SIGTERM. */
export const DAEMON_START_MS = 30_000;
export const DAEMON_STOP_MS = 15_000;

/** busybox-static and its applet links under `rootfs` (an image without a registry). */
export async function busyboxRootfs(rootfs: string): Promise<void> {
  await mkdir(join(rootfs, 'bin'), { recursive: true });
  await copyFile('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  const applets = (await run('/bin/busybox', ['--list'])).stdout.split('\n').filter((a) => a !== '' && a !== 'busybox');
  await Promise.all(applets.map((a) => symlink('busybox', join(rootfs, 'bin', a))));
}

/** Runs `argv` in the host namespace `hostNetns` (nsenter), its output appended to `logFile`. */
export function spawnInNetns(hostNetns: string, argv: readonly string[], logFile: string): ChildProcess {
  const out = openSync(logFile, 'a');
  try {
    return spawn('nsenter', [`--net=${hostNetns}`, '--', ...argv], { stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
}

/** Waits until `answers()` is true; fails with the log's tail when the daemon exits or does not answer in time. */
export async function waitForDaemon(what: string, child: ChildProcess, answers: () => Promise<boolean>, logFile: string): Promise<void> {
  const deadline = Date.now() + DAEMON_START_MS;
  for (;;) {
    if (await answers()) return;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${what} did not start: ${await logTail(logFile)}`);
    await sleep(100);
  }
}

export async function logTail(logFile: string, lines = 30): Promise<string> {
  return (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-lines).join('\n');
}

/** SIGTERM, up to DAEMON_STOP_MS to end, then SIGKILL; resolves once the process is gone. */
export async function terminate(pid: number): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + DAEMON_STOP_MS;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  await kill(pid);
}

/** SIGKILL; resolves once the process is gone. */
export async function kill(pid: number): Promise<void> {
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(20);
}

/** Kills the processes whose command line mentions `dir` (shims and daemons a failed test left; ours only). */
export async function killProcessesMentioning(dir: string): Promise<void> {
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    const cmd = await readFile(`/proc/${d}/cmdline`, 'utf8').catch(() => '');
    if (!cmd.includes(dir)) continue;
    try {
      process.kill(Number(d), 'SIGKILL');
    } catch {
      // Gone.
    }
  }
}

/** Mount points at or under `dir`. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const m = await readFile('/proc/self/mounts', 'utf8');
  return m.split('\n').map((l) => l.split(' ')[1] ?? '').filter((p) => p === dir || p.startsWith(`${dir}/`));
}

/** Unmounts (lazily, deepest first) the mount points given. */
export async function unmountAll(mounts: readonly string[]): Promise<void> {
  for (const m of [...mounts].reverse()) await run('umount', ['-l', m], { okExitCodes: [32, 1] });
}

/** Sets a runtime environment up (`setUp`: its dirs, daemon, image); on a failure stops what was made and rethrows. */
export async function setUpOrStop<E extends { stop(): Promise<void> }>(env: E, setUp: () => Promise<void>): Promise<E> {
  try {
    await setUp();
  } catch (err) {
    await env.stop().catch(() => undefined);
    throw err;
  }
  return env;
}
