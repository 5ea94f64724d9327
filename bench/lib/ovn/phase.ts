import { watch } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from '../../../src/exec/run.js';
import { INTEGRATION_BRIDGE, type DbKind, type OvnEnv, type OvnHost } from '../../../test/helpers/ovn-env.js';
import { describeTraffic, setTxChecksumOffload, trafficMatrix, trafficProblems } from '../../../test/helpers/traffic.js';
import type { InterfaceMonitor } from '../interface-monitor.js';
import type { PromSamples } from '../prom-text.js';
import { nowMs } from '../timing.js';
import { bulkDelPortArgs } from './argv.js';

/** What every contender of bench/ovn.ts gets. */
export interface OvnBenchCtx {
  readonly env: OvnEnv;
  /** One Interface-table monitor per host, same index as env.hosts. */
  readonly monitors: readonly InterfaceMonitor[];
  /** Workloads per host. */
  readonly n: number;
  /** Hand-run routes: workloads plugged at once per host (a driver called once per container). */
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly log: (msg: string) => void;
}

/** The workload interface inside every namespace, and the prefix of the bench's /16 subnets. */
export const WORKLOAD_IF = 'eth0';
export const WORKLOAD_PREFIX_LEN = 16;
/** How long the Raft log must stay unchanged to count as settled, and how long to wait for that at most. */
const RAFT_QUIET_MS = 1500;
const RAFT_SETTLE_MAX_MS = 30_000;
const RAFT_POLL_MS = 500;

/** Workload names: short enough for the driver's veth names (eid[0:13] + "_c" ≤ 15). */
export function workloadName(prefix: string, round: number, host: number, i: number): string {
  return `${prefix}${round}-${host + 1}-${String(i + 1).padStart(4, '0')}`;
}

/** The k-th address of a bench /16 ("10.82" → 10.82.0.2, 10.82.0.3, ...). */
export function subnetIp(base: string, k: number): string {
  const host = k + 2;
  if (!Number.isInteger(k) || k < 0 || host > 65_534) throw new RangeError(`address index ${k} is outside the /16`);
  return `${base}.${host >> 8}.${host & 0xff}`;
}

/** Unmounted namespace file, then a namespace bound to it: what a runtime does, and what the agent reacts to. */
export async function createNamespace(h: OvnHost, name: string): Promise<string> {
  const path = h.workloads.path(name);
  await writeFile(path, '');
  await run('unshare', [`--net=${path}`, 'true']);
  return path;
}

/**
 * Stamps (nowMs) the first event for each wanted file name in `dir`: one
 * inotify watch, so the clock starts when the file appears, not when a
 * process that made it returned. Keys are full paths. Returns the closer.
 */
export function watchNewFiles(dir: string, wanted: ReadonlySet<string>, stamps: Map<string, number>): () => void {
  const w = watch(dir, (_event, file) => {
    if (file === null || !wanted.has(file)) return;
    const path = join(dir, file);
    if (!stamps.has(path)) stamps.set(path, nowMs());
  });
  return () => w.close();
}

/** The Raft log end of a cluster's leader (every committed transaction moves it by one). */
export async function raftEnd(env: OvnEnv, db: DbKind): Promise<number | undefined> {
  return (await env.raftLog(db))?.end;
}

/**
 * The log end once nothing has been committed for RAFT_QUIET_MS: ovn-northd
 * and ovn-controller write after the clock stops (LSP up, Port_Binding up),
 * and those writes belong to the route that caused them.
 */
export async function settledRaftEnd(env: OvnEnv, db: DbKind): Promise<number | undefined> {
  const deadline = nowMs() + RAFT_SETTLE_MAX_MS;
  let last = await raftEnd(env, db);
  let since = nowMs();
  while (nowMs() < deadline) {
    await sleep(RAFT_POLL_MS);
    const now = await raftEnd(env, db);
    if (now !== last) {
      last = now;
      since = nowMs();
    } else if (nowMs() - since >= RAFT_QUIET_MS) {
      return now;
    }
  }
  return last;
}

export interface RaftMark {
  readonly nb: number | undefined;
  readonly sb: number | undefined;
}

export async function settledRaft(env: OvnEnv): Promise<RaftMark> {
  const [nb, sb] = await Promise.all([settledRaftEnd(env, 'nb'), settledRaftEnd(env, 'sb')]);
  return { nb, sb };
}

export function raftDelta(before: RaftMark, after: RaftMark): { nbEntries: number | undefined; sbEntries: number | undefined } {
  const d = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined ? undefined : b - a);
  return { nbEntries: d(before.nb, after.nb), sbEntries: d(before.sb, after.sb) };
}

/** Sum over samples of `name` whose labels include every pair of `match`, after − before. */
export function labelledDelta(before: PromSamples, after: PromSamples, name: string, match: Readonly<Record<string, string>>): number | undefined {
  let found = false;
  let total = 0;
  const want = Object.entries(match).map(([k, v]) => `${k}="${v}"`);
  for (const [key, v] of after) {
    if (!key.startsWith(`${name}{`) || !want.every((w) => key.includes(w))) continue;
    found = true;
    total += v - (before.get(key) ?? 0);
  }
  return found ? total : undefined;
}

/** One endpoint of the after-the-clock traffic check. */
export interface TrafficEnd {
  readonly path: string;
  readonly ip: string;
}

/**
 * Real TCP and UDP both ways between a workload on one host and one on
 * another, bytes checked at the far end (a few tries while tunnels and ARP
 * settle). `txOff`: the hand-made ports need tx checksum offload off on the
 * userspace datapath (not timed; the agent does it itself).
 */
export async function verifyTraffic(a: TrafficEnd, b: TrafficEnd, opts: { txOff: boolean; tries?: number }): Promise<string> {
  if (opts.txOff) await Promise.all([a, b].map((e) => setTxChecksumOffload(e.path, false, WORKLOAD_IF)));
  const pairs = [{ from: a.path, to: b.path, ip: b.ip }, { from: b.path, to: a.path, ip: a.ip }];
  let problems: string[] = [];
  for (let i = 0; i < (opts.tries ?? 4); i++) {
    const results = await trafficMatrix(pairs);
    problems = trafficProblems(results, () => true);
    if (problems.length === 0) return `TCP and UDP both ways across hosts: ${results.map(describeTraffic).join('; ')}`;
    await sleep(1000);
  }
  throw new Error(`traffic across hosts failed: ${problems.join('; ')}`);
}

/** Per-workload latencies and the burst total from start and stop stamps. */
export function latencies(starts: ReadonlyMap<string, number>, stops: ReadonlyMap<string, number>): { latencyMs: number[]; totalMs: number } {
  const latencyMs: number[] = [];
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const [k, s] of starts) {
    const e = stops.get(k);
    if (e === undefined) throw new Error(`workload ${k}: no stop stamp`);
    latencyMs.push(e - s);
    first = Math.min(first, s);
    last = Math.max(last, e);
  }
  return { latencyMs, totalMs: last - first };
}

/** Removes a hand-run route's logical switch (its ports with it), its OVS ports and its namespaces. */
export async function cleanupHandPorts(ctx: OvnBenchCtx, ls: string, namesByHost: readonly (readonly string[])[]): Promise<void> {
  const { env, log } = ctx;
  await env.nbctl('--if-exists', 'ls-del', ls).catch((err: unknown) => log(`cleanup: ls-del ${ls}: ${String(err)}`));
  await Promise.all(env.hosts.map(async (h, hi) => {
    const names = namesByHost[hi] ?? [];
    if (names.length === 0) return;
    await h.vsctl(...bulkDelPortArgs(INTEGRATION_BRIDGE, names)).catch((err: unknown) => log(`cleanup: del-port on ${h.name}: ${String(err)}`));
    await h.workloads.remove(...names).catch((err: unknown) => log(`cleanup: namespaces on ${h.name}: ${String(err)}`));
  }));
}
