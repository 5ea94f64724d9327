import { link, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/exec/run.js';
import type { StatusReport } from '../../../src/observe/status-types.js';
import { AgentEnv, freePort, tenantYaml } from '../../helpers/agent-env.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'nsvswitch.js');

/**
 * SIGHUP on a running `nsvswitch run` (the real CLI, a real OVS sandbox):
 * it reloads, as daemons do, instead of dying with 129. The manifest is
 * edited through a hard link outside the manifest directory and its size,
 * inode and timestamps are kept, so neither the directory watch nor the
 * periodic rescan can see the change: only the reload re-reads it.
 */
describe('SIGHUP reloads a running agent', () => {
  let env: AgentEnv | undefined;
  let child: ResultPromise<{ reject: false; all: true; stdin: 'ignore' }> | undefined;
  let output = '';

  beforeAll(async () => {
    env = await AgentEnv.start('sighup');
  });
  afterAll(async () => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, 'SIGKILL');
      await child;
    }
    await env?.stop();
  });

  it('re-reads the manifests and the log level, keeps running and answering /healthz, and still drains on SIGTERM', async () => {
    const e = env!;
    const side = join(e.sb.dir, 'side');
    await mkdir(side);
    const sideFile = join(side, 'blue.yaml');
    const manifest = join(e.manifestDir, 'blue.yaml');
    await writeFile(sideFile, tenantYaml('blue', 100, '10.10.0.0/24', ['blue-*']));
    await link(sideFile, manifest);
    const configFile = join(e.sb.dir, 'agent.yaml');
    await writeFile(configFile, 'logLevel: warn\n');

    const port = await freePort();
    const flags = e.runFlags(port);
    const at = flags.indexOf('--log-level');
    flags.splice(at, 2);
    child = execa(process.execPath, [BIN, 'run', '--config', configFile, ...flags], { reject: false, all: true, stdin: 'ignore' });
    child.all?.setEncoding('utf8');
    child.all?.on('data', (c: string) => (output = (output + c).slice(-50_000)));
    const pid = child.pid!;
    const running = (): boolean => child!.exitCode === null && child!.signalCode === null;
    const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
    /** Polls `check` until true; fails at once if the agent exited. */
    const until = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (!running()) throw new Error(`agent exited (${String(child!.exitCode ?? child!.signalCode)}) while waiting for ${what}: ${output.slice(-2000)}`);
        if (await Promise.resolve(check()).catch(() => false)) return;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${output.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const subnet = async (): Promise<string | undefined> => ((await (await get('/status')).json()) as StatusReport).tenants.find((t) => t.name === 'blue')?.subnet;

    await until('agent ready', async () => (await get('/readyz')).status === 200, 30_000);
    expect(await subnet()).toBe('10.10.0.0/24');

    // Same length, same inode, timestamps put back: invisible to the watch and the rescan.
    const before = await stat(manifest, { bigint: true });
    await run('touch', ['-r', sideFile, join(side, 'times')]);
    await writeFile(sideFile, tenantYaml('blue', 100, '10.20.0.0/24', ['blue-*']));
    await run('touch', ['-r', join(side, 'times'), sideFile]);
    const after = await stat(manifest, { bigint: true });
    expect([after.ino, after.size, after.mtimeNs]).toEqual([before.ino, before.size, before.mtimeNs]);
    await new Promise((r) => setTimeout(r, 2_500)); // longer than the 2 s rescan
    expect(await subnet()).toBe('10.10.0.0/24');

    await writeFile(configFile, 'logLevel: info\n');
    process.kill(pid, 'SIGHUP');
    await until('the edited manifest in force', async () => (await subnet()) === '10.20.0.0/24', 15_000);
    expect(running()).toBe(true);
    const health = await get('/healthz');
    expect(health.status).toBe(200);
    // The reload's own line is at info: it is there only because the new log level applied first.
    await until('the reload logged at info', () => /"logLevel":"info"[^\n]*"msg":"reloaded: manifest directory re-read/.test(output), 5_000);

    // A second SIGHUP with nothing changed: still running.
    process.kill(pid, 'SIGHUP');
    await new Promise((r) => setTimeout(r, 300));
    expect(running()).toBe(true);
    expect((await get('/healthz')).status).toBe(200);

    process.kill(pid, 'SIGTERM');
    const r = await child;
    expect([r.exitCode, r.signal]).toEqual([0, undefined]);
  }, 90_000);
});
