import type { ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run, type RunResult } from '../../src/exec/run.js';
import { isAlive, readPidFile } from '../../src/sandbox/pid-file.js';
import { busyboxRootfs, kill, killProcessesMentioning, logTail, mountsUnder, setUpOrStop, spawnInNetns, terminate, unmountAll, waitForDaemon } from './runtime-env.js';

/** The Docker CLI of Debian's docker.io (a newer client may sit earlier in PATH). */
export const DOCKER_CLI = '/usr/bin/docker';
export const DOCKERD = '/usr/sbin/dockerd';
export const IMAGE = 'nsvs-busybox:1';

export function dockerAvailable(): boolean {
  return existsSync(DOCKER_CLI) && existsSync(DOCKERD) && existsSync('/bin/busybox');
}

export interface ContainerOptions {
  readonly labels?: Readonly<Record<string, string>>;
  /** --network (default: Docker's default bridge). */
  readonly network?: string;
  readonly cmd?: readonly string[];
}

export interface Inspected {
  readonly id: string;
  readonly name: string;
  readonly sandboxKey: string;
  readonly state: string;
  readonly networkMode: string;
  readonly pid: number;
}

/**
 * A real Docker Engine (Debian's dockerd) with private data and exec roots and its own socket, all
 * under `dir`, running in a private host network namespace (`nsenter --net=HOSTNS`) with its own Linux
 * bridge there, no iptables. stop() removes every container, ends dockerd (and the containerd it
 * started) by pid, and checks that no mount is left under `dir`.
 */
export class DockerEnv {
  private child: ChildProcess | undefined;
  private log = '';

  private constructor(
    readonly dir: string,
    readonly hostNetns: string,
    readonly bridge: string,
    private readonly liveRestore: boolean,
    private readonly sharedNetnsDir: boolean,
  ) {}

  get socket(): string {
    return join(this.dir, 'd.sock');
  }

  get netnsDir(): string {
    return join(this.dir, 'exec', 'netns');
  }

  get pidFile(): string {
    return join(this.dir, 'dockerd.pid');
  }

  /**
   * Starts dockerd in `hostNetns`; the bridge `bridge` (with `bridgeCidr`) is created there first.
   * `sharedNetnsDir`: the namespace dir is made a shared mount first (as / is on a systemd host), so a
   * container that mounts it with `rslave` propagation sees the namespace files made after it started.
   */
  static async start(dir: string, hostNetns: string, opts: { bridgeCidr?: string; liveRestore?: boolean; sharedNetnsDir?: boolean } = {}): Promise<DockerEnv> {
    await mkdir(dir, { recursive: true });
    const env = new DockerEnv(dir, hostNetns, 'nsvsdbr0', opts.liveRestore ?? false, opts.sharedNetnsDir ?? false);
    return setUpOrStop(env, async () => {
      if (env.sharedNetnsDir) {
        await mkdir(env.netnsDir, { recursive: true });
        await run('mount', ['--bind', env.netnsDir, env.netnsDir]);
        await run('mount', ['--make-shared', env.netnsDir]);
      }
      await run('ip', ['link', 'add', env.bridge, 'type', 'bridge'], { netns: hostNetns });
      await run('ip', ['addr', 'add', opts.bridgeCidr ?? '172.31.250.1/24', 'dev', env.bridge], { netns: hostNetns });
      await run('ip', ['link', 'set', env.bridge, 'up'], { netns: hostNetns });
      await writeFile(join(dir, 'daemon.json'), '{}\n');
      await env.startDaemon();
      await env.importImage();
    });
  }

  /** Starts dockerd (again) and waits for its API. */
  async startDaemon(): Promise<void> {
    const args = [
      DOCKERD,
      '--config-file', join(this.dir, 'daemon.json'),
      '--data-root', join(this.dir, 'data'), '--exec-root', join(this.dir, 'exec'),
      '-H', `unix://${this.socket}`, '--pidfile', this.pidFile,
      '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false', '--userland-proxy=false',
      `--bridge=${this.bridge}`, '--storage-driver=overlay2', '--log-level=warn', '--shutdown-timeout=1',
      ...(this.liveRestore ? ['--live-restore'] : []),
    ];
    this.child = spawnInNetns(this.hostNetns, args, this.logFile);
    await waitForDaemon('dockerd', this.child, async () => (await this.cli(['version', '--format', '{{.Server.Version}}'], [1]).catch(() => undefined))?.exitCode === 0, this.logFile);
  }

  private get logFile(): string {
    return join(this.dir, 'dockerd.log');
  }

  async logTail(lines = 30): Promise<string> {
    return logTail(this.logFile, lines);
  }

  /** A tiny image without a registry: busybox-static and its applet links, imported. */
  private async importImage(): Promise<void> {
    const rootfs = join(this.dir, 'rootfs');
    await busyboxRootfs(rootfs);
    const tar = join(this.dir, 'rootfs.tar');
    await run('tar', ['-C', rootfs, '-cf', tar, '.']);
    await this.cli(['import', tar, IMAGE]);
    await rm(rootfs, { recursive: true, force: true });
    await rm(tar, { force: true });
  }

  /** The Docker CLI against this engine (argv only). */
  cli(args: readonly string[], okExitCodes: readonly number[] = []): Promise<RunResult> {
    return run(DOCKER_CLI, ['-H', `unix://${this.socket}`, ...args], { env: { DOCKER_CONFIG: join(this.dir, 'cli') }, okExitCodes, timeoutMs: 60_000 });
  }

  /** `docker run -d` (detached), returns the container id. */
  async runContainer(name: string, o: ContainerOptions = {}): Promise<string> {
    const args = ['run', '-d', '--name', name];
    for (const [k, v] of Object.entries(o.labels ?? {})) args.push('--label', `${k}=${v}`);
    if (o.network) args.push('--network', o.network);
    args.push(IMAGE, ...(o.cmd ?? ['/bin/sleep', '3600']));
    return (await this.cli(args)).stdout.trim();
  }

  async inspect(name: string): Promise<Inspected> {
    const j = JSON.parse((await this.cli(['inspect', name])).stdout) as {
      Id: string; Name: string; NetworkSettings: { SandboxKey: string }; State: { Status: string; Pid: number }; HostConfig: { NetworkMode: string };
    }[];
    const c = j[0]!;
    return { id: c.Id, name: c.Name.replace(/^\//, ''), sandboxKey: c.NetworkSettings.SandboxKey, state: c.State.Status, networkMode: c.HostConfig.NetworkMode, pid: c.State.Pid };
  }

  /** Runs a command inside a container's network namespace (host binaries, nsenter by SandboxKey). */
  async inNetns(name: string, file: string, args: readonly string[], okExitCodes: readonly number[] = []): Promise<RunResult> {
    return run(file, args, { netns: (await this.inspect(name)).sandboxKey, okExitCodes });
  }

  async daemonPid(): Promise<number | undefined> {
    return readPidFile(this.pidFile);
  }

  /** Stops dockerd by its pid (SIGTERM, then SIGKILL), and the containerd it started. */
  async stopDaemon(): Promise<void> {
    const dockerd = await this.daemonPid();
    const containerd = await readPidFile(join(this.dir, 'exec', 'containerd', 'containerd.pid'));
    if (dockerd !== undefined) await terminate(dockerd);
    if (containerd !== undefined) await kill(containerd);
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      await new Promise<void>((r) => {
        this.child!.once('exit', () => r());
        setTimeout(r, 2000).unref();
      });
    }
    this.child = undefined;
  }

  /** Mounts left under this engine's dir. */
  async mountsLeft(): Promise<string[]> {
    return mountsUnder(this.dir);
  }

  /** Removes every container, stops the engine, fails if a mount is left (after unmounting it), removes the dir. */
  async stop(): Promise<void> {
    // Containers may outlive a stopped engine (live-restore): start it again to remove them.
    if (this.liveRestore && existsSync(join(this.dir, 'data')) && !(await this.daemonPid().then((p) => p !== undefined && isAlive(p)))) {
      await this.startDaemon().catch(() => undefined);
    }
    if (await this.daemonPid().then((p) => p !== undefined && isAlive(p))) {
      const ids = (await this.cli(['ps', '-aq'], [1]).catch(() => undefined))?.stdout.split('\n').filter(Boolean) ?? [];
      if (ids.length > 0) await this.cli(['rm', '-f', ...ids], [1]).catch(() => undefined);
    }
    await this.stopDaemon();
    // Shims of containers that outlived the engine (a live-restore test that failed): ours only, by their bundle path.
    await killProcessesMentioning(this.dir);
    const mounts = await this.mountsLeft();
    await unmountAll(mounts);
    // dockerd bind-mounts its data root onto itself (mount propagation) and, with live-restore, leaves it
    // mounted at shutdown by design; anything else left (but the two below) is a leak.
    // A container on the host network makes Docker pin the host namespace as netns/default, and keep it.
    const expected = new Set([...(this.liveRestore ? [join(this.dir, 'data')] : []), ...(this.sharedNetnsDir ? [this.netnsDir] : []), join(this.netnsDir, 'default')]);
    const left = mounts.filter((m) => !expected.has(m));
    await run('ip', ['link', 'del', this.bridge], { netns: this.hostNetns, okExitCodes: [1, 2] }).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
    if (left.length > 0) throw new Error(`dockerd left mounts under ${this.dir}: ${left.join(', ')}`);
  }
}

