import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { run, type RunResult } from '../../src/exec/run.js';
import { OvsSandbox } from '../../src/sandbox/ovs-sandbox.js';
import { PrivateNetnsDir } from '../../src/sandbox/private-netns-dir.js';
import { isAlive, killByPidFile, readPidFile } from '../../src/sandbox/pid-file.js';
import { eventually } from './agent-env.js';

/**
 * OVN across simulated hosts, all private: a "central" network namespace
 * holding a 3-member Raft cluster for the northbound and one for the
 * southbound database plus ovn-northd, and N hosts, each an OvsSandbox (its
 * own namespace, ovsdb-server, userspace ovs-vswitchd) with ovn-controller,
 * joined by an underlay of veths on a Linux bridge in the central namespace
 * (Geneve runs over it). Every daemon is started with a pid file under the
 * env's temp dir and ended by it in stop(), also after a failed start.
 */

export const NB_SCHEMA = '/usr/share/ovn/ovn-nb.ovsschema';
export const SB_SCHEMA = '/usr/share/ovn/ovn-sb.ovsschema';
export const UNDERLAY_SUBNET = '172.31.0.0/24';
export const CENTRAL_IP = '172.31.0.1';
export const INTEGRATION_BRIDGE = 'br-int';
const UNDERLAY_PREFIX = 24;
const UNDERLAY_BRIDGE = 'ul-br';
const UNDERLAY_MTU = 9000;
/** How long a daemon or cluster may take to come up on two busy shared cores. */
const READY_TIMEOUT_MS = 60_000;

export type DbKind = 'nb' | 'sb';

const DB_NAME: Record<DbKind, string> = { nb: 'OVN_Northbound', sb: 'OVN_Southbound' };
const DB_SCHEMA: Record<DbKind, string> = { nb: NB_SCHEMA, sb: SB_SCHEMA };
/** Client and Raft ports of member i: 6641/6642 + 10·i for clients, +2 for Raft (no clash: private namespace). */
const portsOf = (db: DbKind, i: number): { client: number; raft: number } => {
  const client = (db === 'nb' ? 6641 : 6642) + 10 * i;
  return { client, raft: client + 2 };
};

export interface OvnEnvOptions {
  /** Simulated hosts (default 3). */
  readonly hosts?: number;
  /**
   * Set the Open_vSwitch external_ids ovn-controller needs on every host
   * (default false: the agent under test does that from its config).
   */
  readonly configureOvn?: boolean;
  /** Short label in the temp dir name. */
  readonly label?: string;
}

interface Member {
  readonly db: DbKind;
  readonly index: number;
  readonly file: string;
  readonly pidFile: string;
  readonly ctl: string;
  readonly log: string;
  readonly clientPort: number;
  readonly raftPort: number;
}

/** One simulated host: its OVS sandbox, underlay address and ovn-controller. */
export class OvnHost {
  readonly env: Readonly<Record<string, string>>;

  constructor(
    readonly name: string,
    readonly underlayIp: string,
    readonly sb: OvsSandbox,
    /** Namespaces of this host's workloads (like AgentEnv's). */
    readonly workloads: PrivateNetnsDir,
  ) {
    this.env = { ...sb.env, OVN_RUNDIR: sb.dir };
  }

  /** Chassis name (Open_vSwitch external_ids:system-id). */
  get systemId(): string {
    return this.name;
  }

  /** Encapsulation (Geneve) endpoint: the underlay address. */
  get encapIp(): string {
    return this.underlayIp;
  }

  get dbEndpoint(): string {
    return this.sb.dbEndpoint;
  }

  get rundir(): string {
    return this.sb.dir;
  }

  get hostNetns(): string {
    return this.sb.hostNetns;
  }

  get controllerPidFile(): string {
    return join(this.sb.dir, 'ovn-controller.pid');
  }

  /** ovn-controller's unixctl socket (it takes no --unixctl: OVN_RUNDIR/ovn-controller.PID.ctl). */
  async controllerCtl(): Promise<string> {
    const pid = await this.controllerPid();
    if (pid === undefined) throw new Error(`host ${this.name}: ovn-controller not running (${this.controllerPidFile})`);
    return join(this.sb.dir, `ovn-controller.${pid}.ctl`);
  }

  /** ovn-appctl against this host's ovn-controller. */
  async controllerAppctl(...args: string[]): Promise<string> {
    return (await run('ovn-appctl', ['-t', await this.controllerCtl(), ...args], { env: this.env })).stdout;
  }

  /** Runs argv inside the host's network namespace (nsenter --net=, no shell) with its OVS/OVN env. */
  inHost(file: string, args: readonly string[], opts: { okExitCodes?: readonly number[]; input?: string } = {}): Promise<RunResult> {
    return run(file, args, { netns: this.hostNetns, env: this.env, ...opts });
  }

  vsctl(...args: string[]): Promise<string> {
    return this.sb.vsctl(...args);
  }

  async startController(): Promise<void> {
    await this.inHost('ovn-controller', [
      '--detach', '--no-chdir', `--pidfile=${this.controllerPidFile}`,
      `--log-file=${join(this.sb.dir, 'ovn-controller.log')}`,
      this.dbEndpoint,
    ]);
  }

  async stopController(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await killByPidFile(this.controllerPidFile, signal);
  }

  async controllerPid(): Promise<number | undefined> {
    return readPidFile(this.controllerPidFile);
  }

  /** The Open_vSwitch external_ids ovn-controller reads, as the agent would set them. */
  async configureOvn(sbRemotes: string, encapType = 'geneve'): Promise<void> {
    await this.vsctl('--no-wait', 'set', 'Open_vSwitch', '.',
      `external_ids:system-id=${this.systemId}`,
      `external_ids:ovn-remote="${sbRemotes}"`,
      `external_ids:ovn-encap-type=${encapType}`,
      `external_ids:ovn-encap-ip=${this.encapIp}`,
      `external_ids:ovn-bridge=${INTEGRATION_BRIDGE}`,
      'external_ids:ovn-bridge-datapath-type=netdev');
  }

  /** external_ids:ovn-installed of an interface ("true" once ovn-controller installed its flows). */
  async ovnInstalled(iface: string): Promise<boolean> {
    const out = await this.vsctl('--if-exists', 'get', 'Interface', iface, 'external_ids:ovn-installed').catch(() => '');
    return out.trim() === '"true"' || out.trim() === 'true';
  }

  async logTail(daemon: 'ovn-controller' | 'ovs-vswitchd' | 'ovsdb-server', lines = 30): Promise<string> {
    const f = join(this.sb.dir, `${daemon}.log`);
    if (!existsSync(f)) return '';
    return (await readFile(f, 'utf8')).split('\n').slice(-lines).join('\n');
  }
}

export interface HandPlug {
  /** Workload namespace name (in the host's workloads dir). */
  readonly ns: string;
  /** Host end of the veth (in the host namespace, plugged into br-int). */
  readonly hostIf: string;
  readonly mac: string;
  /** Address with prefix, e.g. 10.0.1.10/24. */
  readonly cidr: string;
  /** Logical_Switch_Port name (external_ids:iface-id). */
  readonly iface: string;
}

export class OvnEnv {
  readonly hosts: OvnHost[] = [];
  private readonly members: Member[] = [];
  private readonly env: Readonly<Record<string, string>>;
  private central: PrivateNetnsDir | undefined;

  private constructor(readonly dir: string) {
    this.env = { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir, OVN_RUNDIR: dir, OVN_DBDIR: dir, OVN_LOGDIR: dir };
  }

  static async start(opts: OvnEnvOptions = {}): Promise<OvnEnv> {
    const base = process.env.NSVS_TEST_ROOT ?? tmpdir();
    await mkdir(base, { recursive: true });
    const e = new OvnEnv(await mkdtemp(join(base, `nsvs-${opts.label ?? 'ovn'}-`)));
    try {
      await e.startCentral();
      // allSettled, not all: a failure must not leave a sibling still starting while stop() runs.
      await settleAll([
        e.startCluster(),
        ...Array.from({ length: opts.hosts ?? 3 }, (_, i) => e.startHost(i)),
      ]);
      await e.startNorthd();
      if (opts.configureOvn) await settleAll(e.hosts.map((h) => h.configureOvn(e.sbRemotes)));
      await settleAll(e.hosts.map((h) => h.startController()));
      if (opts.configureOvn) await e.waitChassis();
    } catch (err) {
      await e.stop().catch(() => undefined);
      throw err;
    }
    return e;
  }

  get centralNetns(): string {
    if (!this.central) throw new Error(`OVN env ${this.dir}: central namespace not created`);
    return this.central.path('central');
  }

  private remotes(db: DbKind): string {
    return [0, 1, 2].map((i) => `tcp:${CENTRAL_IP}:${portsOf(db, i).client}`).join(',');
  }

  /** Northbound cluster members, `tcp:IP:PORT,…` (reachable over the underlay). */
  get nbRemotes(): string {
    return this.remotes('nb');
  }

  get sbRemotes(): string {
    return this.remotes('sb');
  }

  get nbRemoteList(): string[] {
    return this.nbRemotes.split(',');
  }

  get sbRemoteList(): string[] {
    return this.sbRemotes.split(',');
  }

  host(name: string): OvnHost {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`OVN env ${this.dir}: no host ${name}`);
    return h;
  }

  /** Runs argv in the central namespace with the OVN env. */
  inCentral(file: string, args: readonly string[], opts: { okExitCodes?: readonly number[] } = {}): Promise<RunResult> {
    return run(file, args, { netns: this.centralNetns, env: this.env, timeoutMs: 60_000, ...opts });
  }

  async nbctl(...args: string[]): Promise<string> {
    return (await this.inCentral('ovn-nbctl', [`--db=${this.nbRemotes}`, '--timeout=30', ...args])).stdout;
  }

  async sbctl(...args: string[]): Promise<string> {
    return (await this.inCentral('ovn-sbctl', [`--db=${this.sbRemotes}`, '--timeout=30', ...args])).stdout;
  }

  /** Rows of a table as objects of their columns (ovn-nbctl/ovn-sbctl JSON, sets and maps decoded). */
  async rows(db: DbKind, table: string, columns: readonly string[]): Promise<Record<string, unknown>[]> {
    const args = ['--format=json', `--columns=${columns.join(',')}`, 'list', table];
    const out = db === 'nb' ? await this.nbctl(...args) : await this.sbctl(...args);
    const j = JSON.parse(out) as { headings: string[]; data: unknown[][] };
    return j.data.map((row) => Object.fromEntries(j.headings.map((h, i) => [h, decodeDatum(row[i])])));
  }

  // ---- central: underlay bridge, Raft clusters, northd ----

  private async startCentral(): Promise<void> {
    this.central = await PrivateNetnsDir.create(join(this.dir, 'netns'));
    await this.central.add('central');
    const ip = (...a: string[]): Promise<RunResult> => this.inCentral('ip', a);
    await ip('link', 'set', 'lo', 'up');
    await ip('link', 'add', UNDERLAY_BRIDGE, 'mtu', String(UNDERLAY_MTU), 'type', 'bridge');
    await ip('addr', 'add', `${CENTRAL_IP}/${UNDERLAY_PREFIX}`, 'dev', UNDERLAY_BRIDGE);
    await ip('link', 'set', UNDERLAY_BRIDGE, 'up');
    // Frames leave the central stack with partial checksums; the hosts' userspace datapaths pass them
    // on as they are and the hosts' stacks drop them (TCP to the databases never connects).
    await this.inCentral('ethtool', ['-K', UNDERLAY_BRIDGE, 'tx', 'off']);
  }

  private member(db: DbKind, i: number): Member {
    const m = this.members.find((x) => x.db === db && x.index === i);
    if (!m) throw new Error(`OVN env ${this.dir}: no ${db} member ${i}`);
    return m;
  }

  private async startCluster(): Promise<void> {
    for (const db of ['nb', 'sb'] as const) {
      for (let i = 0; i < 3; i++) {
        const { client, raft } = portsOf(db, i);
        const stem = join(this.dir, `${db}${i}`);
        this.members.push({ db, index: i, file: `${stem}.db`, pidFile: `${stem}.pid`, ctl: `${stem}.ctl`, log: `${stem}.log`, clientPort: client, raftPort: raft });
      }
    }
    const raftAddr = (m: Member): string => `tcp:${CENTRAL_IP}:${m.raftPort}`;
    await Promise.all(this.members.map((m) => m.index === 0
      ? run('ovsdb-tool', ['create-cluster', m.file, DB_SCHEMA[m.db], raftAddr(m)])
      : run('ovsdb-tool', ['join-cluster', m.file, DB_NAME[m.db], raftAddr(m), raftAddr(this.member(m.db, 0))])));
    await Promise.all(this.members.map((m) => this.startMemberProcess(m)));
    await Promise.all((['nb', 'sb'] as const).map((db) => this.waitCluster(db)));
  }

  private async startMemberProcess(m: Member): Promise<void> {
    await this.inCentral('ovsdb-server', [
      '--detach', '--no-chdir', `--pidfile=${m.pidFile}`, `--log-file=${m.log}`, `--unixctl=${m.ctl}`,
      `--remote=ptcp:${m.clientPort}:${CENTRAL_IP}`, m.file,
    ]);
  }

  /** `cluster/status` of one member, or undefined when it does not answer. */
  async clusterStatus(db: DbKind, i: number): Promise<string | undefined> {
    const m = this.member(db, i);
    if (!(await this.memberRunning(db, i))) return undefined;
    const r = await this.inCentral('ovs-appctl', ['-t', m.ctl, 'cluster/status', DB_NAME[db]], { okExitCodes: [1, 2] });
    return r.exitCode === 0 ? r.stdout : undefined;
  }

  async memberRunning(db: DbKind, i: number): Promise<boolean> {
    const pid = await readPidFile(this.member(db, i).pidFile);
    return pid !== undefined && isAlive(pid);
  }

  /** Index of the member that calls itself leader, among the running ones (undefined: none). */
  async leader(db: DbKind): Promise<number | undefined> {
    const st = await Promise.all([0, 1, 2].map((i) => this.clusterStatus(db, i)));
    const i = st.findIndex((s) => s !== undefined && /^Role: leader$/m.test(s));
    return i < 0 ? undefined : i;
  }

  nbLeader(): Promise<number | undefined> {
    return this.leader('nb');
  }

  /**
   * The leader's Raft term and log end (`Log: [start, end]` of cluster/status): every committed
   * transaction, whoever wrote it, moves the end by one. Undefined while no member leads.
   */
  async raftLog(db: DbKind): Promise<{ leader: number; term: number; end: number } | undefined> {
    const leader = await this.leader(db);
    if (leader === undefined) return undefined;
    const st = (await this.clusterStatus(db, leader)) ?? '';
    const term = /^Term: (\d+)$/m.exec(st);
    const log = /^Log: \[(\d+), (\d+)\]$/m.exec(st);
    if (!term || !log) return undefined;
    return { leader, term: Number(term[1]), end: Number(log[2]) };
  }

  /** Waits until every running member is a cluster member and one of them leads. */
  async waitCluster(db: DbKind, timeoutMs = READY_TIMEOUT_MS): Promise<number> {
    return eventually(`${DB_NAME[db]} cluster in ${this.dir} to elect a leader`, async () => {
      const running = (await Promise.all([0, 1, 2].map(async (i) => ((await this.memberRunning(db, i)) ? i : -1)))).filter((i) => i >= 0);
      const st = await Promise.all(running.map((i) => this.clusterStatus(db, i)));
      if (st.some((s) => s === undefined || !/^Status: cluster member$/m.test(s))) return undefined;
      const leaders = running.filter((_, k) => /^Role: leader$/m.test(st[k]!));
      return leaders.length === 1 ? leaders[0]! + 1 : undefined;
    }, timeoutMs, 100).then((x) => x - 1);
  }

  /** Kills one cluster member hard (SIGKILL, by its pid file); returns its old pid. */
  async killMember(db: DbKind, i: number): Promise<number | undefined> {
    const m = this.member(db, i);
    const pid = await readPidFile(m.pidFile);
    await killByPidFile(m.pidFile, 'SIGKILL');
    return pid;
  }

  /** (Re)starts one member on its database file; it rejoins the cluster. */
  async startMember(db: DbKind, i: number): Promise<void> {
    const m = this.member(db, i);
    if (await this.memberRunning(db, i)) return;
    await rm(m.pidFile, { force: true });
    await this.startMemberProcess(m);
  }

  private get northdPidFile(): string {
    return join(this.dir, 'ovn-northd.pid');
  }

  private async startNorthd(): Promise<void> {
    await this.inCentral('ovn-northd', [
      '--detach', '--no-chdir', `--pidfile=${this.northdPidFile}`,
      `--log-file=${join(this.dir, 'ovn-northd.log')}`, `--unixctl=${join(this.dir, 'ovn-northd.ctl')}`,
      `--ovnnb-db=${this.nbRemotes}`, `--ovnsb-db=${this.sbRemotes}`,
    ]);
    // northd writes NB_Global/SB_Global once it holds the lock: then `--wait` works.
    await eventually(`ovn-northd in ${this.dir} to fill NB_Global`, async () => {
      const out = await this.nbctl('--columns=_uuid', 'list', 'NB_Global').catch(() => '');
      return out.includes('_uuid');
    }, READY_TIMEOUT_MS, 100);
  }

  // ---- hosts ----

  private async startHost(i: number): Promise<void> {
    const name = `h${i + 1}`;
    const sb = await OvsSandbox.start({ baseDir: this.dir, label: name });
    const workloads = await PrivateNetnsDir.create(join(sb.dir, 'workloads')).catch(async (err: unknown) => {
      await sb.stop().catch(() => undefined);
      throw err;
    });
    const h = new OvnHost(name, `172.31.0.${11 + i}`, sb, workloads);
    this.hosts[i] = h;
    const ul = `ul-${name}`;
    await this.inCentral('ip', ['link', 'add', ul, 'mtu', String(UNDERLAY_MTU), 'type', 'veth', 'peer', 'name', 'ul0', 'mtu', String(UNDERLAY_MTU), 'netns', h.hostNetns]);
    await this.inCentral('ip', ['link', 'set', ul, 'master', UNDERLAY_BRIDGE, 'up']);
    await this.inCentral('ethtool', ['-K', ul, 'tx', 'off']);
    await h.inHost('ip', ['link', 'set', 'ul0', 'up']);
    await sb.addBridge('br-phy');
    await sb.vsctl('add-port', 'br-phy', 'ul0');
    await h.inHost('ip', ['addr', 'add', `${h.underlayIp}/${UNDERLAY_PREFIX}`, 'dev', 'br-phy']);
    await h.inHost('ip', ['link', 'set', 'br-phy', 'up']);
    // The userspace datapath routes tunnel packets by its own table (§11).
    await sb.appctl('ovs-vswitchd', 'ovs/route/add', UNDERLAY_SUBNET, 'br-phy');
  }

  /** Every host's chassis registered in the southbound database. */
  async waitChassis(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    await eventually(`chassis ${this.hosts.map((h) => h.systemId).join(',')} in the SB of ${this.dir}`, async () => {
      const names = new Set((await this.rows('sb', 'Chassis', ['name'])).map((r) => String(r.name)));
      return this.hosts.every((h) => names.has(h.systemId));
    }, timeoutMs, 200);
  }

  /** Restarts one host's ovn-controller (SIGTERM then a fresh start). */
  async restartOvnController(host: OvnHost | string): Promise<void> {
    const h = typeof host === 'string' ? this.host(host) : host;
    await h.stopController();
    await h.startController();
  }

  /**
   * Plugs a namespace into br-int by hand, the way OVN's own drivers do: a
   * veth, the address, tx checksum offload off inside (netdev datapath, §11),
   * and `add-port br-int … external_ids:iface-id=LSP`. Creates the namespace.
   */
  async plugByHand(host: OvnHost, p: HandPlug): Promise<string> {
    const [ns] = await host.workloads.add(p.ns);
    await host.inHost('ip', ['link', 'add', p.hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns!]);
    await host.inHost('ip', ['link', 'set', p.hostIf, 'up']);
    const inNs = (file: string, args: string[]): Promise<RunResult> => run(file, args, { netns: ns! });
    await inNs('ip', ['link', 'set', 'eth0', 'address', p.mac]);
    await inNs('ip', ['addr', 'add', p.cidr, 'dev', 'eth0']);
    await inNs('ip', ['link', 'set', 'eth0', 'up']);
    await inNs('ip', ['link', 'set', 'lo', 'up']);
    await inNs('ethtool', ['-K', 'eth0', 'tx', 'off']);
    await host.vsctl('--may-exist', 'add-port', INTEGRATION_BRIDGE, p.hostIf, '--', 'set', 'Interface', p.hostIf, `external_ids:iface-id=${p.iface}`);
    return ns!;
  }

  /**
   * `nsvswitch run` flags for the agent of one host in OVN mode (run it inside the host's namespace:
   * the databases are reachable only over the underlay). Everything else is the agent's own default.
   */
  agentArgs(host: OvnHost, manifestDir: string, extra: readonly string[] = []): string[] {
    return [
      '--backend', 'ovn', '--ovsdb', host.dbEndpoint, '--ovs-rundir', host.rundir,
      '--bridge', INTEGRATION_BRIDGE, '--datapath-type', 'netdev',
      '--manifest-dir', manifestDir, '--namespace-dir', host.workloads.dir,
      '--ovn-nb-remotes', this.nbRemotes, '--ovn-sb-remotes', this.sbRemotes,
      '--ovn-system-id', host.systemId, '--ovn-encap-ip', host.encapIp,
      '--log-level', 'warn', ...extra,
    ];
  }

  /** Pid files of every daemon this env runs (cluster members, northd, and per host ovsdb-server, ovs-vswitchd, ovn-controller). */
  pidFiles(): string[] {
    return [
      ...this.members.map((m) => m.pidFile), this.northdPidFile,
      ...this.hosts.filter(Boolean).flatMap((h) => [h.sb.ovsdbPidFile, h.sb.vswitchdPidFile, h.controllerPidFile]),
    ];
  }

  /** Ends every daemon it started by pid file, removes namespaces, links and dirs. */
  async stop(): Promise<void> {
    const errors: unknown[] = [];
    const note = (e: unknown): void => {
      errors.push(e);
    };
    await Promise.all(this.hosts.filter(Boolean).map((h) => h.stopController().catch(note)));
    await killByPidFile(this.northdPidFile, 'SIGTERM').catch(note);
    await Promise.all(this.members.map((m) => killByPidFile(m.pidFile, 'SIGTERM').catch(note)));
    await Promise.all(this.hosts.filter(Boolean).map(async (h) => {
      await h.workloads.destroy().catch(note);
      await h.sb.stop().catch(note);
    }));
    await this.central?.destroy().catch(note);
    await rm(this.dir, { recursive: true, force: true }).catch(note);
    if (errors.length > 0) throw new AggregateError(errors, `OVN env ${this.dir}: teardown failed`);
  }

  async logTail(file: 'ovn-northd' | `${DbKind}${0 | 1 | 2}`, lines = 30): Promise<string> {
    const f = join(this.dir, `${file}.log`);
    if (!existsSync(f)) return '';
    return (await readFile(f, 'utf8')).split('\n').slice(-lines).join('\n');
  }
}

/** Waits for every promise; then throws the first failure, if any. */
async function settleAll(ps: readonly Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(ps)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** An OVSDB JSON datum as ovn-nbctl --format=json prints it: ["set",[…]], ["map",[[k,v]…]], ["uuid",u] decoded. */
export function decodeDatum(v: unknown): unknown {
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string') return v;
  const [tag, body] = v as [string, unknown];
  if (tag === 'uuid' || tag === 'named-uuid') return body;
  if (tag === 'set') return (body as unknown[]).map(decodeDatum);
  if (tag === 'map') return Object.fromEntries((body as [unknown, unknown][]).map(([k, x]) => [String(decodeDatum(k)), decodeDatum(x)]));
  return v;
}
