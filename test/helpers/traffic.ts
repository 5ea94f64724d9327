import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/exec/run.js';

/**
 * Real TCP and UDP between network namespaces, checked byte for byte at the
 * far end. Ping is not traffic: on the userspace (netdev) datapath an ICMP
 * echo gets through where TCP and UDP, sent with checksum offload, do not.
 *
 * For every pair a listener inside the destination namespace (bound to the
 * destination address) receives a random TCP stream and random datagrams
 * from a client inside the source namespace, and reports the length and
 * SHA-256 of what arrived; the result compares that with what was sent. Each
 * listener sends itself a stream and a datagram when it starts and again
 * when it stops, so "0 bytes arrived" is never the answer of a dead listener.
 *
 * Processes: one listener per destination (namespace, address), one client
 * per source namespace, all at once, `nsenter --net=PATH node
 * test/fixtures/traffic-peer.mjs` (argv only). Every one is ended by its own
 * pid in a finally block, and ends itself when its stdin closes or after a
 * bounded lifetime.
 */

const PEER = fileURLToPath(new URL('../fixtures/traffic-peer.mjs', import.meta.url));
const TAG_BYTES = 16;

export interface TrafficPair {
  /** Namespace file the client runs in. */
  readonly from: string;
  /** Namespace file the listener runs in; it must hold `ip`. */
  readonly to: string;
  /** Destination address (the listener binds it). */
  readonly ip: string;
  /** Source address for the client's sockets (one of `from`'s addresses); default: the kernel's choice. */
  readonly source?: string;
  /** TCP and UDP port the listener binds (default: ephemeral ones); pairs to one (to, ip) must agree. */
  readonly port?: number;
  /** Name of the pair in messages (default "from -> to (ip)" with file names). */
  readonly label?: string;
}

export interface TrafficOptions {
  /** Bytes of the TCP stream (default 16 KiB: more than one initial congestion window). */
  readonly tcpBytes?: number;
  /** Datagrams sent (default 8). */
  readonly udpDatagrams?: number;
  /** Bytes per datagram (default 1000: below every MTU the tests use). */
  readonly udpBytes?: number;
  /** How long a TCP connect may take (default 1500 ms: a blocked pair costs this much, in parallel). */
  readonly connectTimeoutMs?: number;
  /** How long the transfer may take once connected (default 5000 ms). */
  readonly ioTimeoutMs?: number;
  /** How long listeners wait for late datagrams after the clients finished (default 300 ms). */
  readonly graceMs?: number;
}

export interface TcpResult {
  /** Exactly one connection arrived carrying exactly the bytes sent. */
  readonly ok: boolean;
  /** The client's connect succeeded (for a blocked pair: the SYN got through and back). */
  readonly connected: boolean;
  readonly bytesSent: number;
  /** Bytes the listener received on connections of this pair. */
  readonly bytesReceived: number;
  readonly connections: number;
  readonly sha256Sent: string;
  readonly sha256Received?: string;
  /** Peer addresses the listener saw on this pair's connections (what a NAT made of the source). */
  readonly from: readonly string[];
  /** The client's error (connect timed out, ECONNREFUSED, ...), if any. */
  readonly error?: string;
}

export interface UdpResult {
  /** Every datagram arrived, exactly once, intact. */
  readonly ok: boolean;
  readonly datagramsSent: number;
  /** Distinct datagrams of this pair that arrived intact. */
  readonly datagramsReceived: number;
  readonly bytesSent: number;
  /** Bytes of every datagram of this pair that arrived (intact, damaged or repeated). */
  readonly bytesReceived: number;
  /** Datagrams that arrived with other content than sent, or more than once. */
  readonly damaged: number;
  /** Peer addresses the listener saw on this pair's datagrams. */
  readonly from: readonly string[];
  readonly errors: readonly string[];
}

/** What the listener got that belongs to no pair (connections without a payload, unknown tags). */
export interface Strays {
  readonly tcpConnections: number;
  readonly tcpBytes: number;
  readonly udpDatagrams: number;
  readonly udpBytes: number;
}

export interface TrafficResult {
  readonly pair: TrafficPair;
  readonly label: string;
  readonly tcp: TcpResult;
  readonly udp: UdpResult;
  /**
   * The listener was bound to the address and received its own stream and
   * datagram both when it started and when it stopped: the positive control.
   */
  readonly listenerUp: boolean;
  /** Why the listener is not up (bind failed, self-probe lost, ...). */
  readonly listenerProblem?: string;
  /** Unattributable arrivals at this pair's listener (shared by the pairs to it). */
  readonly strays: Strays;
}

interface ListenerRecord {
  readonly event: 'tcp' | 'udp';
  readonly tag: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly from: string;
}

interface SelfProbe {
  readonly tcp: boolean;
  readonly udp: boolean;
}

interface SentRecord {
  readonly id: number;
  readonly tcp?: { connected: boolean; written: number; reply: string; error: string };
  readonly udp?: { sent: number; errors: string[] };
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** The environment for the fixture: no loaders or flags of the test runner. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}

/** A fixture process inside a namespace; its stdout as JSON lines. */
class Peer {
  readonly lines: Record<string, unknown>[] = [];
  private readonly child: ChildProcess;
  private stderr = '';
  private readonly exited: Promise<void>;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly nsPath: string, args: readonly string[]) {
    this.child = spawn('nsenter', [`--net=${nsPath}`, '--', process.execPath, PEER, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: childEnv() });
    this.exited = new Promise((resolve) => {
      this.child.once('close', () => resolve());
      this.child.on('error', (err) => {
        this.stderr += String(err);
        // A process that never started sends no 'close'.
        if (this.child.pid === undefined) resolve();
      });
    });
    this.child.stdin?.on('error', () => undefined);
    let buf = '';
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (c: string) => {
      buf += c;
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      for (const p of parts) {
        if (!p.trim()) continue;
        try {
          this.lines.push(JSON.parse(p) as Record<string, unknown>);
        } catch {
          this.stderr += `unparsed: ${p}\n`;
        }
      }
      for (const w of this.waiters.splice(0)) w();
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (c: string) => {
      this.stderr = (this.stderr + c).slice(-4000);
    });
    void this.exited.then(() => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  get running(): boolean {
    return this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get errors(): string {
    return this.stderr.trim();
  }

  write(text: string, end = false): void {
    if (end) this.child.stdin?.end(text);
    else this.child.stdin?.write(text);
  }

  /** The first line with this event, or undefined when the process ended or the time is up without it. */
  async waitFor(event: string, timeoutMs: number): Promise<Record<string, unknown> | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.find((l) => l.event === event);
      if (line) return line;
      if (!this.running || Date.now() >= deadline) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for the exit, up to timeoutMs; false when it still runs. */
  async exit(timeoutMs: number): Promise<boolean> {
    let t: NodeJS.Timeout | undefined;
    const ended = await Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => (t = setTimeout(() => r(false), timeoutMs)))]);
    clearTimeout(t);
    return ended;
  }

  /** SIGKILL to this process's own pid, if it still runs; then waits for it. */
  async kill(): Promise<void> {
    if (this.running && this.child.pid !== undefined) {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        // Exited meanwhile.
      }
    }
    await this.exited;
  }
}

interface Payload {
  readonly tcp: Buffer;
  readonly udp: Buffer[];
}

function labelOf(p: TrafficPair): string {
  return p.label ?? `${basename(p.from)} -> ${basename(p.to)} (${p.ip})`;
}

/**
 * Sends TCP and UDP for every pair at once and reports what arrived. Never
 * throws for traffic that does not arrive: that is a result. Throws only
 * when the processes themselves cannot run.
 */
export async function trafficMatrix(pairs: readonly TrafficPair[], opts: TrafficOptions = {}): Promise<TrafficResult[]> {
  const tcpBytes = opts.tcpBytes ?? 16 * 1024;
  const udpBytes = opts.udpBytes ?? 1000;
  const udpDatagrams = opts.udpDatagrams ?? 8;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 1500;
  const ioTimeoutMs = opts.ioTimeoutMs ?? 5000;
  const graceMs = opts.graceMs ?? 300;
  if (tcpBytes < TAG_BYTES || udpBytes < TAG_BYTES) throw new Error(`payloads must be at least ${TAG_BYTES} bytes`);
  const payloads: Payload[] = pairs.map(() => ({
    tcp: randomBytes(tcpBytes),
    udp: Array.from({ length: udpDatagrams }, () => randomBytes(udpBytes)),
  }));

  const destKey = (p: TrafficPair): string => `${p.to}\0${p.ip}\0${p.port ?? 0}`;
  const dests = [...new Map(pairs.map((p) => [destKey(p), p])).values()];
  const sources = [...new Set(pairs.map((p) => p.from))];
  // A listener's own lifetime bound: the whole exchange, with room to spare.
  const maxLifeMs = 20_000 + connectTimeoutMs + ioTimeoutMs + graceMs;
  const listeners = new Map<string, Peer>();
  const clients: Peer[] = [];
  try {
    for (const d of dests) listeners.set(destKey(d), new Peer(d.to, ['listen', d.ip, d.to, String(maxLifeMs), String(d.port ?? 0)]));
    const ready = new Map<string, { tcpPort: number; udpPort: number } | { problem: string }>();
    await Promise.all(dests.map(async (d) => {
      const l = listeners.get(destKey(d))!;
      const r = await l.waitFor('ready', 10_000);
      const err = l.lines.find((x) => x.event === 'error');
      const probe = r?.selfProbe as SelfProbe | undefined;
      if (!r) ready.set(destKey(d), { problem: `listener did not start: ${String(err?.error ?? '')} ${l.errors}`.trim() });
      else if (!probe?.tcp || !probe.udp) ready.set(destKey(d), { problem: `listener's start self-probe lost (tcp ${probe?.tcp}, udp ${probe?.udp})` });
      else ready.set(destKey(d), { tcpPort: Number(r.tcpPort), udpPort: Number(r.udpPort) });
    }));

    // One client per source namespace, every target at once.
    const sent = new Map<number, SentRecord>();
    await Promise.all(sources.map(async (from) => {
      const targets = pairs.flatMap((p, id) => {
        const r = ready.get(destKey(p));
        if (p.from !== from || !r || 'problem' in r) return [];
        return [{ id, host: p.ip, tcpPort: r.tcpPort, udpPort: r.udpPort, ...(p.source ? { source: p.source } : {}), tcp: payloads[id]!.tcp.toString('base64'), udp: payloads[id]!.udp.map((b) => b.toString('base64')) }];
      });
      if (targets.length === 0) return;
      const c = new Peer(from, ['send', from]);
      clients.push(c);
      c.write(JSON.stringify({ connectTimeoutMs, ioTimeoutMs, targets }), true);
      if (!(await c.exit(connectTimeoutMs + ioTimeoutMs + 10_000))) await c.kill();
      for (const l of c.lines) if (l.event === 'sent') sent.set(Number(l.id), l as unknown as SentRecord);
      if (c.errors) for (const t of targets) if (!sent.has(t.id)) sent.set(t.id, { id: t.id, tcp: { connected: false, written: 0, reply: '', error: c.errors }, udp: { sent: 0, errors: [c.errors] } });
    }));

    // Listeners: late datagrams, a final self-probe, then what they got.
    const done = new Map<string, SelfProbe | undefined>();
    await Promise.all([...listeners].map(async ([key, l]) => {
      const r = ready.get(key);
      if (!r || 'problem' in r) return;
      l.write(`finish ${graceMs}\n`);
      const d = await l.waitFor('done', graceMs + 5000);
      done.set(key, d?.selfProbe as SelfProbe | undefined);
      await l.exit(2000);
    }));

    return pairs.map((p, id): TrafficResult => {
      const key = destKey(p);
      const l = listeners.get(key)!;
      const r = ready.get(key)!;
      const end = done.get(key);
      const records = l.lines.filter((x): x is Record<string, unknown> & ListenerRecord => x.event === 'tcp' || x.event === 'udp');
      const pl = payloads[id]!;
      const tcpTag = pl.tcp.subarray(0, TAG_BYTES).toString('hex');
      const tcpRecs = records.filter((x) => x.event === 'tcp' && x.tag === tcpTag);
      const tcpSha = sha256(pl.tcp);
      const s = sent.get(id);
      const tcpReceived = tcpRecs.reduce((n, x) => n + x.bytes, 0);
      const tcp: TcpResult = {
        ok: tcpRecs.length === 1 && tcpRecs[0]!.bytes === pl.tcp.length && tcpRecs[0]!.sha256 === tcpSha,
        connected: s?.tcp?.connected ?? false,
        bytesSent: pl.tcp.length,
        bytesReceived: tcpReceived,
        connections: tcpRecs.length,
        from: [...new Set(tcpRecs.map((x) => x.from))],
        sha256Sent: tcpSha,
        ...(tcpRecs.length > 0 ? { sha256Received: tcpRecs.map((x) => x.sha256).join(',') } : {}),
        ...(s?.tcp?.error ? { error: s.tcp.error } : {}),
      };
      const wantUdp = new Map(pl.udp.map((b) => [b.subarray(0, TAG_BYTES).toString('hex'), sha256(b)]));
      const udpRecs = records.filter((x) => x.event === 'udp' && wantUdp.has(x.tag));
      const intact = new Set<string>();
      let damaged = 0;
      for (const x of udpRecs) {
        if (wantUdp.get(x.tag) === x.sha256 && !intact.has(x.tag)) intact.add(x.tag);
        else damaged++;
      }
      const udp: UdpResult = {
        ok: intact.size === pl.udp.length && damaged === 0,
        datagramsSent: s?.udp?.sent ?? 0,
        datagramsReceived: intact.size,
        bytesSent: pl.udp.reduce((n, b) => n + b.length, 0),
        bytesReceived: udpRecs.reduce((n, x) => n + x.bytes, 0),
        damaged,
        from: [...new Set(udpRecs.map((x) => x.from))],
        errors: s?.udp?.errors ?? [],
      };
      // Arrivals at this listener that no pair sent.
      const known = new Set(pairs.filter((q) => destKey(q) === key).flatMap((q) => {
        const pq = payloads[pairs.indexOf(q)]!;
        return [pq.tcp, ...pq.udp].map((b) => b.subarray(0, TAG_BYTES).toString('hex'));
      }));
      const stray = records.filter((x) => !known.has(x.tag));
      const strays: Strays = {
        tcpConnections: stray.filter((x) => x.event === 'tcp').length,
        tcpBytes: stray.filter((x) => x.event === 'tcp').reduce((n, x) => n + x.bytes, 0),
        udpDatagrams: stray.filter((x) => x.event === 'udp').length,
        udpBytes: stray.filter((x) => x.event === 'udp').reduce((n, x) => n + x.bytes, 0),
      };
      let listenerProblem: string | undefined;
      if ('problem' in r) listenerProblem = r.problem;
      else if (!end) listenerProblem = `listener did not finish: ${l.errors}`;
      else if (!end.tcp || !end.udp) listenerProblem = `listener's final self-probe lost (tcp ${end.tcp}, udp ${end.udp})`;
      return { pair: p, label: labelOf(p), tcp, udp, listenerUp: listenerProblem === undefined, ...(listenerProblem ? { listenerProblem } : {}), strays };
    });
  } finally {
    await Promise.all([...clients, ...listeners.values()].map((x) => x.kill()));
  }
}

/** One pair: TCP and UDP from namespace `from` to `ip` in namespace `to`. */
export async function traffic(from: string, to: string, ip: string, opts: TrafficOptions & { source?: string; label?: string } = {}): Promise<TrafficResult> {
  const pair: TrafficPair = { from, to, ip, ...(opts.source ? { source: opts.source } : {}), ...(opts.label ? { label: opts.label } : {}) };
  return (await trafficMatrix([pair], opts))[0]!;
}

/** One line on what arrived, for messages. */
export function describeTraffic(r: TrafficResult): string {
  const t = r.tcp, u = r.udp;
  return `${r.label}: TCP ${t.bytesReceived}/${t.bytesSent} B in ${t.connections} conn${t.connected ? ', connected' : ''}${t.error ? ` (${t.error})` : ''}`
    + `; UDP ${u.datagramsReceived}/${pairsSent(u)} datagrams, ${u.bytesReceived}/${u.bytesSent} B${u.damaged ? `, ${u.damaged} damaged` : ''}`
    + `${r.listenerUp ? '' : `; LISTENER NOT UP: ${r.listenerProblem}`}`;
}

function pairsSent(u: UdpResult): string {
  return `${u.datagramsSent}${u.errors.length ? ` (${u.errors.slice(0, 2).join(', ')})` : ''}`;
}

/**
 * What is wrong with a set of results, given which pairs must carry traffic:
 * an allowed pair must deliver every byte intact both ways of transport; a
 * blocked pair must deliver nothing (no connection, 0 bytes, 0 datagrams);
 * every listener must have been up, and nothing unattributable arrived.
 * Empty = as expected.
 */
export function trafficProblems(results: readonly TrafficResult[], allowed: (r: TrafficResult) => boolean): string[] {
  const problems: string[] = [];
  for (const r of results) {
    const ok = allowed(r);
    const bad =
      !r.listenerUp ||
      r.strays.tcpConnections + r.strays.udpDatagrams > 0 ||
      (ok ? !r.tcp.ok || !r.udp.ok : r.tcp.connected || r.tcp.bytesReceived > 0 || r.tcp.connections > 0 || r.udp.bytesReceived > 0);
    if (bad) problems.push(`${ok ? 'allowed' : 'blocked'} ${describeTraffic(r)}${r.strays.tcpConnections + r.strays.udpDatagrams > 0 ? `; strays ${JSON.stringify(r.strays)}` : ''}`);
  }
  return problems;
}

/** `ethtool -K eth0 tx on|off` inside a workload namespace (what the agent does to the workload end of each veth). */
export async function setTxChecksumOffload(nsPath: string, on: boolean, ifName = 'eth0'): Promise<void> {
  await run('ethtool', ['-K', ifName, 'tx', on ? 'on' : 'off'], { netns: nsPath });
}

/** Whether transmit checksum offload is on for the workload's eth0, as ethtool reports it. */
export async function txChecksumOffload(nsPath: string, ifName = 'eth0'): Promise<boolean> {
  const r = await run('ethtool', ['-k', ifName], { netns: nsPath });
  const m = /^tx-checksumming: (on|off)/m.exec(r.stdout);
  if (!m) throw new Error(`no tx-checksumming line in ethtool -k ${ifName}: ${r.stdout}`);
  return m[1] === 'on';
}
