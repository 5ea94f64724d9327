import { spawn, type ChildProcess } from 'node:child_process';
import { run } from '../../src/exec/run.js';
import { deferCleanup } from './cleanup.js';

/** One iperf3 test that ran to the end: receiver-side figures, with the omitted warm-up excluded. */
export interface Iperf3Result {
  readonly protocol: 'TCP' | 'UDP';
  /** Bytes per write (TCP) or per datagram (UDP), as iperf3 chose them. */
  readonly blockBytes?: number;
  /** Measured interval (s), the omitted warm-up (-O) not counted. */
  readonly seconds: number;
  /** What reached the receiver: the throughput figure. */
  readonly receivedBps: number;
  readonly receivedBytes: number;
  /** What the sender put on the wire (UDP: includes datagrams lost on the way). */
  readonly sentBps: number;
  /** TCP: segments the sender retransmitted. */
  readonly retransmits?: number;
  /** UDP: datagrams lost, of those sent. */
  readonly lostPackets?: number;
  readonly packets?: number;
  readonly lostPercent?: number;
  readonly jitterMs?: number;
  /** CPU use of the sending (client) and receiving (server) iperf3 process, % of one core. */
  readonly senderCpuPercent?: number;
  readonly receiverCpuPercent?: number;
}

/** What one iperf3 client run gave: figures, or why there are none. */
export type Iperf3Outcome = { readonly ok: true; readonly result: Iperf3Result } | { readonly ok: false; readonly error: string };

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

function num(o: Json | undefined, key: string): number | undefined {
  const v = o?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Parses the output of `iperf3 -c ... -J` (iperf 3.x). The figure is the
 * receiver's: `end.sum_received` (TCP, and UDP from 3.10 on); for older UDP
 * output, `end.sum` less the lost datagrams. iperf3 reports a failure as an
 * `error` member (with exit code 0 or 1 depending on the version), which is
 * returned as the outcome's error; so is output that is not iperf3's JSON
 * (empty when iperf3 was killed by a timeout).
 */
export function parseIperf3Json(text: string): Iperf3Outcome {
  let root: Json | undefined;
  try {
    root = obj(JSON.parse(text));
  } catch {
    const head = text.trim().slice(0, 120);
    return { ok: false, error: head ? `not iperf3 JSON: ${head}` : 'no output from iperf3' };
  }
  if (!root) return { ok: false, error: 'not iperf3 JSON: not an object' };
  if (typeof root.error === 'string') return { ok: false, error: root.error };
  const testStart = obj(obj(root.start)?.test_start);
  const proto = testStart?.protocol;
  const blockBytes = num(testStart, 'blksize');
  if (proto !== 'TCP' && proto !== 'UDP') return { ok: false, error: `iperf3 JSON without a TCP/UDP test_start.protocol (${String(proto)})` };
  const end = obj(root.end);
  const sent = obj(end?.sum_sent) ?? (proto === 'UDP' ? obj(end?.sum) : undefined);
  const received = obj(end?.sum_received);
  const udpSum = obj(end?.sum);
  const cpu = obj(end?.cpu_utilization_percent);
  // The client runs with -c and without -R: it is the sender, the server the receiver.
  const cpuFigures = { senderCpuPercent: num(cpu, 'host_total'), receiverCpuPercent: num(cpu, 'remote_total') };
  const sentBps = num(sent, 'bits_per_second');
  if (sentBps === undefined) return { ok: false, error: 'iperf3 JSON without end.sum_sent' };

  if (proto === 'TCP') {
    const receivedBps = num(received, 'bits_per_second');
    const receivedBytes = num(received, 'bytes');
    const seconds = num(received, 'seconds');
    if (receivedBps === undefined || receivedBytes === undefined || seconds === undefined) return { ok: false, error: 'iperf3 JSON without end.sum_received' };
    return { ok: true, result: defined({ protocol: 'TCP', blockBytes, seconds, receivedBps, receivedBytes, sentBps, retransmits: num(sent, 'retransmits'), ...cpuFigures }) };
  }

  // UDP: loss and jitter are the receiver's, reported back to the client in end.sum (and sum_received from 3.10).
  const lossFrom = received ?? udpSum;
  const lostPercent = num(lossFrom, 'lost_percent');
  const seconds = num(received ?? udpSum, 'seconds');
  let receivedBps = num(received, 'bits_per_second');
  let receivedBytes = num(received, 'bytes');
  if (receivedBps === undefined && lostPercent !== undefined) {
    // Older output: end.sum carries what was sent plus the receiver's loss.
    const sumBps = num(udpSum, 'bits_per_second');
    const sumBytes = num(udpSum, 'bytes');
    if (sumBps !== undefined) receivedBps = sumBps * (1 - lostPercent / 100);
    if (sumBytes !== undefined) receivedBytes = Math.round(sumBytes * (1 - lostPercent / 100));
  }
  if (receivedBps === undefined || receivedBytes === undefined || seconds === undefined) return { ok: false, error: 'iperf3 JSON without the receiver\'s UDP figures' };
  return {
    ok: true,
    result: defined({
      protocol: 'UDP', blockBytes, seconds, receivedBps, receivedBytes, sentBps,
      lostPackets: num(lossFrom, 'lost_packets'), packets: num(lossFrom, 'packets'), lostPercent, jitterMs: num(lossFrom, 'jitter_ms'),
      ...cpuFigures,
    }),
  };
}

/** Drops undefined members, so results compare and serialize cleanly. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export interface Iperf3ClientOptions {
  readonly port: number;
  /** Measured seconds (-t). */
  readonly seconds: number;
  /** Warm-up seconds left out of the figures (-O). */
  readonly omitSeconds: number;
  readonly udp: boolean;
  /** Give up on connecting after this long (a broken path fails fast instead of hanging). */
  readonly connectTimeoutMs: number;
}

/** argv of the client (pure, for tests): receiver-side JSON, UDP unthrottled (-b 0) so it measures the path, not a rate cap. */
export function iperf3ClientArgs(serverIp: string, o: Iperf3ClientOptions): string[] {
  return [
    '-c', serverIp, '-p', String(o.port),
    '-t', String(o.seconds), '-O', String(o.omitSeconds),
    '--connect-timeout', String(o.connectTimeoutMs),
    '-J',
    ...(o.udp ? ['-u', '-b', '0'] : []),
  ];
}

/** How long a client may run before it is killed: the test, the connect timeout, and slack for a loaded machine. */
export function iperf3ClientTimeoutMs(o: Iperf3ClientOptions): number {
  return (o.seconds + o.omitSeconds) * 1000 + o.connectTimeoutMs + 15_000;
}

/** How long a one-off server may take to say it listens. */
const SERVER_START_TIMEOUT_MS = 10_000;
/** How long a one-off server may take to exit after its test, before it is killed. */
const SERVER_EXIT_GRACE_MS = 3_000;

/**
 * A one-off iperf3 server (`-s -1`: it serves one test and exits) inside a
 * namespace, so a test that went wrong never leaves a busy server for the
 * next one. Ended by its own pid (nsenter execs iperf3, so the pid is
 * iperf3's), also on Ctrl-C.
 */
export class Iperf3Server {
  private readonly undo: () => Promise<void>;
  private readonly exit: Promise<void>;
  private output = '';

  private constructor(private readonly child: ChildProcess) {
    this.exit = new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    this.undo = deferCleanup(`iperf3 server (pid ${child.pid ?? '?'})`, () => this.kill());
  }

  static async start(nsPath: string, port: number): Promise<Iperf3Server> {
    const child = spawn('nsenter', [`--net=${nsPath}`, '--', 'iperf3', '-s', '-1', '-p', String(port), '--forceflush'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const s = new Iperf3Server(child);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`iperf3 server in ${nsPath}: not listening after ${SERVER_START_TIMEOUT_MS} ms: ${s.output.trim()}`)), SERVER_START_TIMEOUT_MS);
        const onData = (c: Buffer): void => {
          s.output = (s.output + c.toString('utf8')).slice(-2000);
          if (s.output.includes('Server listening')) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout?.on('data', onData);
        child.stderr?.on('data', onData);
        void s.exit.then(() => {
          clearTimeout(timer);
          reject(new Error(`iperf3 server in ${nsPath} exited before listening: ${s.output.trim() || '(no output)'}`));
        });
      });
    } catch (err) {
      await s.stop();
      throw err;
    }
    return s;
  }

  /** Waits up to `graceMs` for the one-off server to end after its test, then kills it by pid. */
  async stop(graceMs = 0): Promise<void> {
    if (graceMs > 0) await Promise.race([this.exit, new Promise((r) => setTimeout(r, graceMs).unref())]);
    await this.undo();
  }

  private async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exit;
  }
}

/**
 * One iperf3 test from `clientNs` to a one-off server in `serverNs`. Never
 * throws for a failed test (no connection, killed by the timeout): that is
 * an outcome with the reason, so a broken path is reported, not fatal.
 */
export async function iperf3Test(clientNs: string, serverNs: string, serverIp: string, o: Iperf3ClientOptions): Promise<Iperf3Outcome> {
  const server = await Iperf3Server.start(serverNs, o.port);
  let out: Iperf3Outcome = { ok: false, error: 'not run' };
  try {
    const r = await run('iperf3', iperf3ClientArgs(serverIp, o), { netns: clientNs, timeoutMs: iperf3ClientTimeoutMs(o), okExitCodes: [1] });
    out = parseIperf3Json(r.stdout);
    const why = r.stderr.trim().split('\n').slice(-1)[0];
    if (!out.ok && why) out = { ok: false, error: `${out.error} (${why})` };
  } catch (err) {
    out = { ok: false, error: err instanceof Error ? err.message.split('\n')[0] ?? err.message : String(err) };
  } finally {
    // After a completed test the one-off server exits by itself; after a failed one it still listens.
    await server.stop(out.ok ? SERVER_EXIT_GRACE_MS : 0);
  }
  return out;
}
