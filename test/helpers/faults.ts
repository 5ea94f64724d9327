import { mkdir, readFile, rename, rmdir, stat, writeFile } from 'node:fs/promises';
import { cpus, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import type { InvariantReport, TenantExpectation } from './invariants.js';
import { tenantYaml } from './agent-env.js';

/** Where fault tests record what they tried (docs/performance.md cites it). */
export const FAULTS_JSON = process.env.NSVS_FAULTS_JSON ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results', 'faults.json');

/** A tenant of a fault scenario: an IPv4 subnet, and an IPv6 prefix when it is dual-stack. */
export interface FaultTenant {
  readonly name: string;
  readonly id: number;
  readonly subnet: string;
  readonly subnet6?: string;
}

/**
 * The shared fault fixture: every scenario runs with one dual-stack tenant in its set (the first one gets
 * the prefix fd00:<id in hex>::/64), so each fault also covers IPv6 records, addresses and flows, and
 * checkInvariants checks them; the others stay IPv4-only, so both kinds share every fault.
 */
export function withDualStack<T extends { readonly id: number }>(tenants: readonly T[]): (T & { readonly subnet6?: string })[] {
  return tenants.map((t, i) => (i === 0 ? { ...t, subnet6: `fd00:${t.id.toString(16)}::/64` } : t));
}

/** A scenario tenant's manifest document: its namespaces are `<name>-*`; `extra` adds spec lines. */
export function faultTenantYaml(t: FaultTenant, extra = ''): string {
  return tenantYaml(t.name, t.id, t.subnet, [`${t.name}-*`], `${t.subnet6 === undefined ? '' : `  subnet6: "${t.subnet6}"\n`}${extra}`);
}

/** What checkInvariants expects of a scenario tenant: these namespaces, in its subnet (and prefix). */
export function faultExpectation(t: FaultTenant, names: readonly string[], extra: Partial<TenantExpectation> = {}): TenantExpectation {
  return { subnet: t.subnet, names: [...names], ...(t.subnet6 === undefined ? {} : { subnet6: t.subnet6 }), ...extra };
}

/** A positive integer tunable from the environment (sizes of bursts, numbers of edits). */
export function envInt(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
}

/** A seeded PRNG (mulberry32) in [0, 1). */
export type Random = () => number;

/**
 * A PRNG for one fault test, seeded from NSVS_FAULT_SEED or the clock; the
 * seed is printed so a failing run can be replayed.
 */
export function seededRandom(label: string): { seed: number; rand: Random; int: (lo: number, hi: number) => number; pick: <T>(xs: readonly T[]) => T } {
  const fromEnv = Number(process.env.NSVS_FAULT_SEED);
  const seed = Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : (Date.now() ^ (process.pid << 8)) >>> 0;
  console.log(`[faults] ${label}: seed ${seed} (replay with NSVS_FAULT_SEED=${seed})`);
  let a = seed >>> 0;
  const rand: Random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  return { seed, rand, int, pick: (xs) => xs[Math.floor(rand() * xs.length)]! };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Packets of a ping loop, as counted from its per-reply output. */
export interface PingTally {
  readonly sent: number;
  readonly received: number;
  /** Echoes without a reply, not counting the last second (still in flight when stopped). */
  readonly lost: number;
  /** Longest time between two consecutive replies (ms): the outage a workload saw. */
  readonly maxGapMs: number;
}

/**
 * A continuous ping from one workload namespace (nsenter execs ping, so the
 * child pid is ping's own and is ended by that pid only).
 */
export class PingLoop {
  private readonly answered = new Map<number, number>();
  private out = '';
  private constructor(private readonly child: ResultPromise<{ reject: false; stdin: 'ignore' }>, readonly intervalS: number) {
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (c: string) => {
      this.out += c;
      const lines = this.out.split('\n');
      this.out = lines.pop() ?? '';
      for (const l of lines) {
        const m = /^\[(\d+\.\d+)\].*icmp_seq=(\d+)/.exec(l);
        if (m) this.answered.set(Number(m[2]), Number(m[1]) * 1000);
        else this.summary += `${l}\n`;
      }
    });
  }

  private summary = '';

  static start(nsPath: string, ip: string, intervalS = 0.05): PingLoop {
    const child = execa('nsenter', [`--net=${nsPath}`, 'ping', '-n', '-D', '-i', String(intervalS), '-W', '1', ip], { reject: false, stdin: 'ignore' });
    return new PingLoop(child, intervalS);
  }

  get replies(): number {
    return this.answered.size;
  }

  /** Replies received after `since` (ms since epoch, ping's own clock). */
  repliesSince(since: number): number {
    let n = 0;
    for (const t of this.answered.values()) if (t >= since) n++;
    return n;
  }

  /** Stops the loop (SIGINT by pid, so ping prints its summary) and tallies. */
  async stop(): Promise<PingTally> {
    const pid = this.child.pid;
    if (pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        // Exited meanwhile.
      }
    }
    await this.child;
    const text = `${this.summary}${this.out}`;
    const sent = Number(/(\d+) packets transmitted/.exec(text)?.[1] ?? Math.max(0, ...this.answered.keys()));
    const tail = Math.ceil(1 / this.intervalS);
    let lost = 0;
    for (let seq = 1; seq <= sent - tail; seq++) if (!this.answered.has(seq)) lost++;
    const times = [...this.answered.values()].sort((a, b) => a - b);
    let maxGapMs = 0;
    for (let i = 1; i < times.length; i++) maxGapMs = Math.max(maxGapMs, times[i]! - times[i - 1]!);
    return { sent, received: this.answered.size, lost, maxGapMs: Math.round(maxGapMs) };
  }

  /** For finally/afterAll: ends the loop by pid if it still runs. */
  async kill(): Promise<void> {
    const pid = this.child.pid;
    if (pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone.
      }
    }
    await this.child;
  }
}

/** One fault family's record in bench/results/faults.json. */
export interface FaultEntry {
  readonly at: string;
  readonly passed: boolean;
  readonly seed?: number;
  readonly durationS: number;
  /** Faults injected, by kind. */
  readonly faults: Record<string, number>;
  readonly faultsInjected: number;
  readonly namespacesHandled: number;
  readonly invariants?: InvariantReport;
  readonly details: Record<string, unknown>;
}

/**
 * Counts what one fault test tried and writes it into the shared results
 * file (read-modify-write under a lock dir, since test files run in parallel).
 */
export class FaultRecorder {
  private readonly t0 = Date.now();
  private readonly faults: Record<string, number> = {};
  private namespaces = 0;
  private readonly details: Record<string, unknown> = {};
  private invariants: InvariantReport | undefined;
  passed = false;

  constructor(readonly family: string, readonly seed?: number) {}

  fault(kind: string, n = 1): void {
    this.faults[kind] = (this.faults[kind] ?? 0) + n;
  }

  namespacesHandled(n: number): void {
    this.namespaces += n;
  }

  note(key: string, value: unknown): void {
    this.details[key] = value;
  }

  checked(report: InvariantReport): void {
    this.invariants = report;
  }

  entry(): FaultEntry {
    return {
      at: new Date().toISOString(),
      passed: this.passed,
      ...(this.seed !== undefined ? { seed: this.seed } : {}),
      durationS: Math.round((Date.now() - this.t0) / 100) / 10,
      faults: { ...this.faults },
      faultsInjected: Object.values(this.faults).reduce((a, b) => a + b, 0),
      namespacesHandled: this.namespaces,
      ...(this.invariants ? { invariants: this.invariants } : {}),
      details: { ...this.details },
    };
  }

  async write(file = FAULTS_JSON): Promise<void> {
    const entry = this.entry();
    await withLock(`${file}.lock`, async () => {
      let doc: { machine?: unknown; families?: Record<string, FaultEntry> } = {};
      try {
        doc = JSON.parse(await readFile(file, 'utf8')) as typeof doc;
      } catch {
        doc = {};
      }
      const families = { ...(doc.families ?? {}), [this.family]: entry };
      const machine = { cpus: cpus().length, kernel: release(), node: process.version };
      const tmp = `${file}.${process.pid}.tmp`;
      await mkdir(dirname(file), { recursive: true });
      await writeFile(tmp, `${JSON.stringify({ machine, families }, null, 2)}\n`);
      await rename(tmp, file);
    });
    console.log(`[faults] ${this.family}: ${entry.faultsInjected} faults, ${entry.namespacesHandled} namespaces, ${entry.passed ? 'invariants held' : 'FAILED'}`);
  }
}

/** A mkdir lock: atomic on every file system; a lock older than 30 s is taken over. */
async function withLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      await mkdir(lock);
      break;
    } catch {
      const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > 30_000 || i > 300) await rmdir(lock).catch(() => undefined);
      await sleep(20);
    }
  }
  try {
    return await fn();
  } finally {
    await rmdir(lock).catch(() => undefined);
  }
}
