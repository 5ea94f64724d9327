import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import type { Counter } from 'prom-client';
import { OvsSandbox } from '../../src/sandbox/ovs-sandbox.js';
import { PrivateNetnsDir } from '../../src/sandbox/private-netns-dir.js';
import type { AgentConfig } from '../../src/config/types.js';
import { DEFAULT_CONFIG } from '../../src/config/index.js';
import { run } from '../../src/exec/run.js';
import { trafficMatrix, type TrafficOptions, type TrafficResult } from './traffic.js';

export const BRIDGE = 'br-nsv';

export interface NsLink {
  readonly name: string;
  readonly ifindex: number;
  readonly mtu: number;
  readonly mac: string;
  /** IPv4 addresses with prefix length. */
  readonly addrs: string[];
}

export function tenantYaml(name: string, id: number, subnet: string, patterns: string[], extra = ''): string {
  return `apiVersion: nsvswitch/v1
kind: Tenant
metadata: { name: ${name} }
spec:
  id: ${id}
  subnet: ${subnet}
  namespaces: ${JSON.stringify(patterns)}
${extra}`;
}

/**
 * One private OVS, a manifest dir and a workload namespace dir: what an agent
 * integration test needs. stop() removes all of it, also after a failure.
 */
export class AgentEnv {
  private constructor(
    readonly sb: OvsSandbox,
    readonly workloads: PrivateNetnsDir,
    readonly manifestDir: string,
  ) {}

  /** `vswitchdOtherConfig`: Open_vSwitch other_config set before ovs-vswitchd starts (keys it reads only then). */
  static async start(label: string, opts: { vswitchdOtherConfig?: Readonly<Record<string, string>> } = {}): Promise<AgentEnv> {
    const other = Object.entries(opts.vswitchdOtherConfig ?? {});
    const sb = await OvsSandbox.start({ label, ...(other.length > 0 ? { vswitchd: false } : {}) });
    try {
      if (other.length > 0) {
        await sb.vsctl('--no-wait', 'set', 'Open_vSwitch', '.', ...other.map(([k, v]) => `other_config:${k}=${v}`));
        await sb.startVswitchd();
      }
      const workloads = await PrivateNetnsDir.create(join(sb.dir, 'workloads'));
      const manifestDir = join(sb.dir, 'tenants.d');
      await mkdir(manifestDir, { recursive: true, mode: 0o755 });
      return new AgentEnv(sb, workloads, manifestDir);
    } catch (err) {
      await sb.stop();
      throw err;
    }
  }

  config(extra: Partial<AgentConfig> = {}): AgentConfig {
    return {
      ...DEFAULT_CONFIG,
      ovsdb: this.sb.dbEndpoint,
      ovsRundir: this.sb.dir,
      bridge: BRIDGE,
      datapathType: 'netdev',
      manifestDir: this.manifestDir,
      namespaceDirs: [this.workloads.dir],
      hostNetns: this.sb.hostNetns,
      metricsListen: '127.0.0.1:0',
      logLevel: 'warn',
      ...extra,
    };
  }

  async writeManifest(file: string, text: string): Promise<void> {
    const tmp = join(this.manifestDir, `.${file}.tmp`);
    await writeFile(tmp, text);
    await run('mv', ['-f', tmp, join(this.manifestDir, file)]);
  }

  async removeManifest(file: string): Promise<void> {
    await rm(join(this.manifestDir, file), { force: true });
  }

  /** Runs a command inside a workload namespace. */
  inNs(name: string, file: string, args: string[]): ReturnType<typeof run> {
    return run(file, args, { netns: this.workloads.path(name) });
  }

  async ping(from: string, ip: string, count = 1): Promise<boolean> {
    const r = await run('ping', ['-c', String(count), '-W', '1', '-i', '0.2', ip], { netns: this.workloads.path(from), okExitCodes: [1, 2] });
    return r.exitCode === 0;
  }

  /** Interface rows with their external_ids, as ovs-vsctl (the real tool) sees them. */
  async interfaces(): Promise<{ name: string; ofport: number; ids: Record<string, string> }[]> {
    const out = await this.sb.vsctl('--format=json', '--columns=name,ofport,external_ids', 'list', 'Interface');
    const j = JSON.parse(out) as { data: [string, number | unknown, [string, [string, string][]]][] };
    return j.data.map(([name, ofport, ids]) => ({ name, ofport: typeof ofport === 'number' ? ofport : -1, ids: Object.fromEntries(ids[1]) }));
  }

  /** Waits until exactly `n` ports are ours and every one carries the ready marker; returns them. */
  readyPorts(n: number, timeoutMs?: number, everyMs?: number): Promise<{ name: string; ofport: number; ids: Record<string, string> }[]> {
    return eventually(`${n} ready ports`, async () => {
      const o = await this.ownedInterfaces();
      return o.length === n && o.every((i) => i.ids['nsvswitch-installed'] === 'true') && o;
    }, timeoutMs, everyMs);
  }

  async ownedInterfaces(): Promise<{ name: string; ofport: number; ids: Record<string, string> }[]> {
    return (await this.interfaces()).filter((i) => i.ids['nsvswitch-owner'] === 'nsvswitch');
  }

  /** Our host-side veths (prefix nsv) in the OVS host namespace, by name → ifindex. */
  async hostVeths(): Promise<Map<string, number>> {
    const out = await this.sb.inHost('ip', ['-j', 'link', 'show']);
    const rows = JSON.parse(out.stdout || '[]') as { ifname: string; ifindex: number }[];
    return new Map(rows.filter((r) => r.ifname.startsWith('nsv')).map((r) => [r.ifname, r.ifindex]));
  }

  /** Every link inside a namespace, one `ip` process: name, ifindex, MTU, MAC, IPv4 addresses. */
  async nsLinks(name: string): Promise<NsLink[]> {
    const r = await run('ip', ['-j', 'addr', 'show'], { netns: this.workloads.path(name) });
    const j = JSON.parse(r.stdout || '[]') as { ifname: string; ifindex: number; mtu: number; address?: string; addr_info?: { family: string; local: string; prefixlen: number }[] }[];
    return j.map((l) => ({
      name: l.ifname, ifindex: l.ifindex, mtu: l.mtu, mac: l.address ?? '',
      addrs: (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
    }));
  }

  /** The workload interface inside a namespace as the kernel sees it (undefined when absent). */
  async nsInterface(name: string, ifName = 'eth0'): Promise<NsLink | undefined> {
    return (await this.nsLinks(name)).find((l) => l.name === ifName);
  }

  /** Echo replies received by `count` pings from a workload (0 when nothing came back). */
  async pingCount(from: string, ip: string, opts: { count?: number; waitS?: number; intervalS?: number; source?: string } = {}): Promise<number> {
    const args = ['-n', '-q', '-c', String(opts.count ?? 1), '-W', String(opts.waitS ?? 1), '-i', String(opts.intervalS ?? 0.2)];
    if (opts.source) args.push('-I', opts.source);
    const r = await run('ping', [...args, ip], { netns: this.workloads.path(from), okExitCodes: [1, 2] });
    const m = /(\d+) received/.exec(r.stdout);
    return m ? Number(m[1]) : 0;
  }

  /**
   * TCP and UDP from workload `from` to each address, received (see
   * helpers/traffic.ts) inside the namespace the agent recorded for that
   * address; all pairs at once. An address no port records is an error.
   */
  async trafficTo(from: string, ips: readonly string[], opts: TrafficOptions = {}): Promise<TrafficResult[]> {
    const nsOf = new Map((await this.ownedInterfaces()).map((i) => [(i.ids['nsvswitch-ip'] ?? '').split('/')[0], i.ids['nsvswitch-netns'] ?? '']));
    const pairs = ips.map((ip) => {
      const to = nsOf.get(ip);
      if (!to) throw new Error(`no plugged namespace records ${ip}`);
      return { from: this.workloads.path(from), to, ip, label: `${from} -> ${basename(to)} (${ip})` };
    });
    return trafficMatrix(pairs, opts);
  }

  /** Our flows on the bridge (cookie prefix of nsvswitch), as `ovs-ofctl dump-flows` lines. */
  async ourFlows(bridge = BRIDGE): Promise<string[]> {
    const out = await this.sb.ofctl('-O', 'OpenFlow15', '--no-stats', 'dump-flows', this.sb.mgmt(bridge), 'cookie=0x6e73000000000000/0xffff000000000000');
    return out.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('cookie='));
  }

  /** Flags that make `nsvswitch run` use this environment (same as config()). */
  runFlags(metricsPort: number, extra: string[] = []): string[] {
    const c = this.config();
    return [
      '--ovsdb', c.ovsdb, '--ovs-rundir', c.ovsRundir, '--bridge', c.bridge, '--datapath-type', c.datapathType,
      '--manifest-dir', c.manifestDir, ...c.namespaceDirs.flatMap((d) => ['--namespace-dir', d]),
      '--host-netns', this.sb.hostNetns, '--metrics-listen', `127.0.0.1:${metricsPort}`, '--log-level', 'warn', ...extra,
    ];
  }

  async hostLinks(): Promise<string[]> {
    const out = await this.sb.inHost('ip', ['-o', 'link', 'show']);
    return out.stdout.split('\n').filter(Boolean).map((l) => (l.split(': ')[1] ?? '').split('@')[0] ?? '');
  }

  async stop(): Promise<void> {
    await this.workloads.destroy().catch(() => undefined);
    await this.sb.stop();
  }
}

/** Polls until `check` returns a truthy value or the time is up (then throws with `what`). */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Runs `fn` over items with at most `limit` in flight. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }));
  return out;
}

/** A TCP port nobody listens on right now (for the child agent's metrics endpoint). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Sum of a counter's values whose labels include all of `labels`. */
/**
 * Lets a freshly started agent's follow-up passes run (OVSDB echo, namespace watch settling), forces one full
 * resync, lets it finish, then stops the agent, so nothing races the checks that follow.
 */
export async function settleAndStop(agent: { resync(): void; stop(): Promise<void> }): Promise<void> {
  await new Promise((r) => setTimeout(r, 1000));
  agent.resync();
  await new Promise((r) => setTimeout(r, 500));
  await agent.stop();
}

export async function counterSum<L extends string>(c: Counter<L>, labels: Partial<Record<L, string>> = {}): Promise<number> {
  const { values } = await c.get();
  return values.filter((v) => Object.entries(labels).every(([k, want]) => (v.labels as Record<string, unknown>)[k] === want)).reduce((s, v) => s + v.value, 0);
}

/** Sum of a Prometheus counter in /metrics text, over the label sets that contain `labelFilter`. */
export function metricSum(text: string, name: string, labelFilter = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labelFilter && !line.includes(labelFilter)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'nsvswitch.js');

/**
 * `nsvswitch run` as a child process (the real CLI, the way an operator runs
 * it), ended by its own pid only. stderr/stdout are kept for diagnostics.
 */
export class AgentChild {
  private output = '';
  private readonly exited: Promise<{ code: number | undefined; signal: string | undefined }>;

  private constructor(
    private readonly child: ResultPromise<{ reject: false; all: true; stdin: 'ignore' }>,
    readonly metricsPort: number,
    /** The network namespace the agent lives in (its HTTP endpoint is reachable only there), when not ours. */
    private readonly netns?: string,
  ) {
    child.all?.setEncoding('utf8');
    child.all?.on('data', (c: string) => {
      this.output = (this.output + c).slice(-20_000);
    });
    this.exited = child.then((r) => ({ code: r.exitCode, signal: r.signal }));
  }

  static async start(env: AgentEnv, extra: string[] = []): Promise<AgentChild> {
    const port = await freePort();
    const child = execa(process.execPath, [BIN, 'run', ...env.runFlags(port, extra)], { reject: false, all: true, stdin: 'ignore' });
    return new AgentChild(child, port);
  }

  /**
   * `nsvswitch run ARGS` living inside a network namespace (`nsenter --net=`, which execs: the pid is
   * the agent's), e.g. a simulated host's, so it reaches what only that namespace reaches. Its HTTP
   * endpoint listens on 127.0.0.1:metricsPort there (a private namespace: any port is free).
   */
  static startIn(netns: string, args: readonly string[], metricsPort = 9400): AgentChild {
    const child = execa('nsenter', [`--net=${netns}`, '--', process.execPath, BIN, 'run', ...args, '--metrics-listen', `127.0.0.1:${metricsPort}`], { reject: false, all: true, stdin: 'ignore' });
    return new AgentChild(child, metricsPort, netns);
  }

  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error(`agent child did not start: ${this.output}`);
    return pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get log(): string {
    return this.output;
  }

  private url(path: string): string {
    return `http://127.0.0.1:${this.metricsPort}${path}`;
  }

  /** GET on the agent's endpoint (from inside its namespace when it lives in another); undefined when nothing answers. */
  private async get(path: string): Promise<{ status: number; text: string } | undefined> {
    if (this.netns === undefined) {
      const r = await fetch(this.url(path)).catch(() => undefined);
      return r ? { status: r.status, text: await r.text() } : undefined;
    }
    const r = await run('curl', ['-sS', '--max-time', '10', '-w', '\n%{http_code}', this.url(path)], { netns: this.netns, okExitCodes: [7, 28, 52, 56] });
    if (r.exitCode !== 0) return undefined;
    const cut = r.stdout.lastIndexOf('\n');
    return { status: Number(r.stdout.slice(cut + 1)), text: r.stdout.slice(0, cut) };
  }

  /** Waits until /readyz answers 200 (first full pass done). */
  async ready(timeoutMs = 30_000): Promise<void> {
    await eventually(`agent pid ${this.child.pid ?? '?'} ready`, async () => {
      if (!this.running) throw new Error(`agent exited: ${this.output.slice(-2000)}`);
      const r = await this.get('/readyz');
      return r?.status === 200;
    }, timeoutMs, 100);
  }

  async metrics(): Promise<string> {
    const r = await this.get('/metrics');
    if (!r) throw new Error(`agent pid ${this.child.pid ?? '?'}: no answer on /metrics`);
    return r.text;
  }

  /** /status as JSON. */
  async statusJson(): Promise<unknown> {
    const r = await this.get('/status');
    if (!r) throw new Error(`agent pid ${this.child.pid ?? '?'}: no answer on /status`);
    return JSON.parse(r.text) as unknown;
  }

  /** Sends a signal to the child's pid and waits for it to exit. */
  async signal(sig: 'SIGTERM' | 'SIGKILL'): Promise<{ code: number | undefined; signal: string | undefined }> {
    if (this.running) {
      try {
        process.kill(this.pid, sig);
      } catch {
        // Exited meanwhile.
      }
    }
    return this.exited;
  }

  /** For finally/afterAll: SIGKILL if still running. */
  async kill(): Promise<void> {
    if (this.child.pid !== undefined && this.running) await this.signal('SIGKILL');
  }
}

export { tmpdir };

/** Flow monitor children (`ovs-ofctl monitor`) whose command line names this bridge socket. */
export async function monitorPids(mgmt: string): Promise<number[]> {
  const out: number[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const cmd = (await readFile(`/proc/${d}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (cmd.includes('monitor') && cmd.includes(mgmt)) out.push(Number(d));
  }
  return out;
}
