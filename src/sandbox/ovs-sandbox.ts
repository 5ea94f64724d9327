import { mkdtemp, readFile, rm, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { run, type RunResult } from '../exec/run.js';
import { PrivateNetnsDir } from './private-netns-dir.js';
import { mgmtTarget } from '../openflow/mgmt-target.js';
import { killByPidFile, readPidFile } from './pid-file.js';

export const VSWITCH_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

export interface OvsSandboxOptions {
  /** Parent directory for the sandbox dir (default: os.tmpdir()). */
  readonly baseDir?: string;
  /** Short label in the temp dir name, to tell parallel runs apart. */
  readonly label?: string;
  /** Start ovs-vswitchd too (default true). */
  readonly vswitchd?: boolean;
}

/**
 * A private OVS: ovsdb-server and ovs-vswitchd (userspace datapath) in a temp
 * dir, running inside a private "host" network namespace so their taps and
 * the veths plugged into them never touch the machine's own. Everything it
 * starts is ended by pid file in stop(), also after a failure.
 */
export class OvsSandbox {
  readonly dbSock: string;
  readonly dbEndpoint: string;
  readonly hostNetns: string;
  readonly env: Readonly<Record<string, string>>;

  private constructor(
    readonly dir: string,
    readonly netnsDir: PrivateNetnsDir,
  ) {
    this.dbSock = join(dir, 'db.sock');
    this.dbEndpoint = `unix:${this.dbSock}`;
    this.hostNetns = netnsDir.path('host');
    this.env = { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir, OVS_PKGDATADIR: '/usr/share/openvswitch' };
  }

  static async start(opts: OvsSandboxOptions = {}): Promise<OvsSandbox> {
    const base = opts.baseDir ?? process.env.NSVS_TEST_ROOT ?? tmpdir();
    await mkdir(base, { recursive: true });
    const dir = await mkdtemp(join(base, `nsvs-${opts.label ?? 'ovs'}-`));
    const netnsDir = await PrivateNetnsDir.create(join(dir, 'netns'));
    const sb = new OvsSandbox(dir, netnsDir);
    try {
      await netnsDir.add('host');
      await sb.inHost('ip', ['link', 'set', 'lo', 'up']);
      await run('ovsdb-tool', ['create', join(dir, 'conf.db'), VSWITCH_SCHEMA]);
      await sb.startOvsdb();
      await sb.vsctl('--no-wait', 'init');
      if (opts.vswitchd ?? true) await sb.startVswitchd();
    } catch (err) {
      await sb.stop();
      throw err;
    }
    return sb;
  }

  get ovsdbPidFile(): string {
    return join(this.dir, 'ovsdb-server.pid');
  }

  get vswitchdPidFile(): string {
    return join(this.dir, 'ovs-vswitchd.pid');
  }

  /** `unix:` target of a bridge's OpenFlow management socket. */
  mgmt(bridge: string): string {
    return mgmtTarget(this.dir, bridge);
  }

  async startOvsdb(): Promise<void> {
    await this.inHost('ovsdb-server', [
      '--detach', '--no-chdir', `--pidfile=${this.ovsdbPidFile}`,
      `--log-file=${join(this.dir, 'ovsdb-server.log')}`,
      `--unixctl=${join(this.dir, 'ovsdb-server.ctl')}`,
      `--remote=punix:${this.dbSock}`,
      join(this.dir, 'conf.db'),
    ]);
  }

  async startVswitchd(): Promise<void> {
    await this.inHost('ovs-vswitchd', [
      '--detach', '--no-chdir', `--pidfile=${this.vswitchdPidFile}`,
      `--log-file=${join(this.dir, 'ovs-vswitchd.log')}`,
      `--unixctl=${join(this.dir, 'ovs-vswitchd.ctl')}`,
      this.dbEndpoint,
    ]);
  }

  /** Kills a daemon hard (SIGKILL), for fault tests; returns its old pid. */
  async kill(daemon: 'ovsdb-server' | 'ovs-vswitchd'): Promise<number | undefined> {
    const file = daemon === 'ovsdb-server' ? this.ovsdbPidFile : this.vswitchdPidFile;
    const pid = await readPidFile(file);
    await killByPidFile(file, 'SIGKILL');
    return pid;
  }

  /** Runs a command inside the sandbox's host namespace with the OVS env. */
  inHost(file: string, args: readonly string[], input?: string): Promise<RunResult> {
    return run(file, args, { netns: this.hostNetns, env: this.env, ...(input !== undefined ? { input } : {}) });
  }

  async vsctl(...args: string[]): Promise<string> {
    return (await run('ovs-vsctl', [`--db=${this.dbEndpoint}`, '--timeout=30', ...args], { env: this.env })).stdout;
  }

  async ofctl(...args: string[]): Promise<string> {
    return (await run('ovs-ofctl', args, { env: this.env })).stdout;
  }

  async appctl(target: 'ovs-vswitchd' | 'ovsdb-server', ...args: string[]): Promise<string> {
    const ctl = join(this.dir, `${target}.ctl`);
    return (await run('ovs-appctl', ['-t', ctl, ...args], { env: this.env })).stdout;
  }

  /** Adds a netdev bridge (userspace datapath). */
  async addBridge(name: string, ...extra: string[]): Promise<void> {
    await this.vsctl('add-br', name, '--', 'set', 'Bridge', name, 'datapath_type=netdev', ...extra);
  }

  /** Stops both daemons by pid file, destroys all namespaces and the dir. */
  async stop(): Promise<void> {
    const errors: unknown[] = [];
    for (const f of [this.vswitchdPidFile, this.ovsdbPidFile]) {
      await killByPidFile(f, 'SIGTERM').catch((e: unknown) => errors.push(e));
    }
    await this.netnsDir.destroy().catch((e: unknown) => errors.push(e));
    await rm(this.dir, { recursive: true, force: true }).catch((e: unknown) => errors.push(e));
    if (errors.length > 0) throw new AggregateError(errors, `OVS sandbox ${this.dir}: teardown failed`);
  }

  async logTail(daemon: 'ovsdb-server' | 'ovs-vswitchd', lines = 30): Promise<string> {
    const f = join(this.dir, `${daemon}.log`);
    if (!existsSync(f)) return '';
    return (await readFile(f, 'utf8')).split('\n').slice(-lines).join('\n');
  }
}
