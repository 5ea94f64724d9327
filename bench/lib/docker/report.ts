import { formatMs, formatRatio, ratio } from '../format.js';
import { percentile } from '../stats.js';
import type { Table } from '../table.js';

/** What one round of bench/docker.ts measured (ms; per-container samples in start order). */
export interface DockerRound {
  readonly round: number;
  /** Which phase ran first ("no-agent" or "nsvswitch"): the order alternates between rounds. */
  readonly order: readonly string[];
  readonly noAgent: {
    /** `docker run -d` durations, one container at a time. */
    readonly sequentialRunMs: readonly number[];
    readonly burstRunMs: readonly number[];
    /** First `docker run` start → last one returned. */
    readonly burstTotalMs: number;
  };
  readonly ovsDocker: {
    /** The whole `ovs-docker add-port` loop over the burst's containers (already running). */
    readonly totalMs: number;
    readonly perPortMs: readonly number[];
  };
  readonly nsvswitch: {
    readonly sequentialRunMs: readonly number[];
    /** `docker run` start → the container's port tenant-ready (OVSDB ready marker and ofport). */
    readonly sequentialReadyMs: readonly number[];
    readonly burstRunMs: readonly number[];
    readonly burstReadyMs: readonly number[];
    /** First `docker run` start → every port ready. */
    readonly burstTotalMs: number;
    /** Last `docker run` returned → every port ready (what the agent adds after Docker is done). */
    readonly burstTailMs: number;
    /** The agent's own metrics over the burst (reconcile time, spawns, CPU, ...). */
    readonly metrics: Readonly<Record<string, number>>;
  };
}

const pooled = (rounds: readonly DockerRound[], pick: (r: DockerRound) => readonly number[]): number[] => rounds.flatMap((r) => [...pick(r)]);
const median = (xs: readonly number[]): number => percentile(xs, 50);

function latencyRow(label: string, xs: readonly number[]): string[] {
  if (xs.length === 0) return [label, '0', 'n/a', 'n/a', 'n/a'];
  return [label, String(xs.length), formatMs(percentile(xs, 50)), formatMs(percentile(xs, 95)), formatMs(Math.max(...xs))];
}

export function perContainerTable(rounds: readonly DockerRound[], concurrency: number): Table {
  return {
    title: 'Per container: docker run, and docker run → tenant-ready',
    headers: ['', 'containers', 'p50', 'p95', 'max'],
    rows: [
      latencyRow('one at a time, no agent: docker run -d returns', pooled(rounds, (r) => r.noAgent.sequentialRunMs)),
      latencyRow('one at a time, nsvswitch running: docker run -d returns', pooled(rounds, (r) => r.nsvswitch.sequentialRunMs)),
      latencyRow('one at a time, nsvswitch: docker run start → tenant-ready', pooled(rounds, (r) => r.nsvswitch.sequentialReadyMs)),
      latencyRow(`burst (${concurrency} at once), no agent: docker run -d returns`, pooled(rounds, (r) => r.noAgent.burstRunMs)),
      latencyRow(`burst (${concurrency} at once), nsvswitch running: docker run -d returns`, pooled(rounds, (r) => r.nsvswitch.burstRunMs)),
      latencyRow(`burst (${concurrency} at once), nsvswitch: docker run start → tenant-ready`, pooled(rounds, (r) => r.nsvswitch.burstReadyMs)),
    ],
  };
}

export function burstTable(rounds: readonly DockerRound[], n: number): Table {
  const m = (pick: (r: DockerRound) => number): number => median(rounds.map(pick));
  const reconcile = rounds.map((r) => r.nsvswitch.metrics['reconcile time (s)']).filter((x): x is number => x !== undefined);
  return {
    title: `Burst of ${n} labelled containers (median of ${rounds.length} round(s); every round: ${rounds.map((r) => formatMs(r.nsvswitch.burstTotalMs)).join(', ')} with nsvswitch)`,
    headers: ['', 'total', 'per container'],
    rows: [
      ['no agent: all docker runs returned', formatMs(m((r) => r.noAgent.burstTotalMs)), formatMs(m((r) => r.noAgent.burstTotalMs) / n)],
      ['ovs-docker add-port loop (containers already running)', formatMs(m((r) => r.ovsDocker.totalMs)), formatMs(m((r) => r.ovsDocker.totalMs) / n)],
      ['no agent + ovs-docker loop (start to plugged)', formatMs(m((r) => r.noAgent.burstTotalMs + r.ovsDocker.totalMs)), formatMs(m((r) => r.noAgent.burstTotalMs + r.ovsDocker.totalMs) / n)],
      ['nsvswitch: first docker run → every port ready', formatMs(m((r) => r.nsvswitch.burstTotalMs)), formatMs(m((r) => r.nsvswitch.burstTotalMs) / n)],
      ['nsvswitch: last docker run returned → every port ready', formatMs(m((r) => r.nsvswitch.burstTailMs)), ''],
      ...(reconcile.length > 0 ? [['nsvswitch: its reconcile passes (busy time, from its metrics)', formatMs(median(reconcile) * 1000), formatMs((median(reconcile) * 1000) / n)]] : []),
    ],
  };
}

export interface DockerRatios {
  readonly sequentialReadyVsRunP50?: number;
  readonly sequentialReadyVsRunP95?: number;
  readonly sequentialRunSlowdownP50?: number;
  readonly burstReadyVsRunP50?: number;
  readonly burstReadyVsRunP95?: number;
  readonly burstRunSlowdownP50?: number;
  readonly burstTotalVsNoAgent?: number;
  readonly ovsDockerEndToEndVsAgent?: number;
  readonly ovsDockerLoopVsAgentTail?: number;
  readonly ovsDockerLoopVsAgentBusy?: number;
}

export function dockerRatios(rounds: readonly DockerRound[]): DockerRatios {
  const p = (pick: (r: DockerRound) => readonly number[], q: number): number | undefined => {
    const xs = pooled(rounds, pick);
    return xs.length > 0 ? percentile(xs, q) : undefined;
  };
  const m = (pick: (r: DockerRound) => number | undefined): number | undefined => {
    const xs = rounds.map(pick).filter((x): x is number => x !== undefined);
    return xs.length > 0 ? median(xs) : undefined;
  };
  const busy = m((r) => (r.nsvswitch.metrics['reconcile time (s)'] ?? Number.NaN) * 1000);
  return {
    sequentialReadyVsRunP50: ratio(p((r) => r.nsvswitch.sequentialReadyMs, 50), p((r) => r.noAgent.sequentialRunMs, 50)),
    sequentialReadyVsRunP95: ratio(p((r) => r.nsvswitch.sequentialReadyMs, 95), p((r) => r.noAgent.sequentialRunMs, 95)),
    sequentialRunSlowdownP50: ratio(p((r) => r.nsvswitch.sequentialRunMs, 50), p((r) => r.noAgent.sequentialRunMs, 50)),
    burstReadyVsRunP50: ratio(p((r) => r.nsvswitch.burstReadyMs, 50), p((r) => r.noAgent.burstRunMs, 50)),
    burstReadyVsRunP95: ratio(p((r) => r.nsvswitch.burstReadyMs, 95), p((r) => r.noAgent.burstRunMs, 95)),
    burstRunSlowdownP50: ratio(p((r) => r.nsvswitch.burstRunMs, 50), p((r) => r.noAgent.burstRunMs, 50)),
    burstTotalVsNoAgent: ratio(m((r) => r.nsvswitch.burstTotalMs), m((r) => r.noAgent.burstTotalMs)),
    ovsDockerEndToEndVsAgent: ratio(m((r) => r.noAgent.burstTotalMs + r.ovsDocker.totalMs), m((r) => r.nsvswitch.burstTotalMs)),
    ovsDockerLoopVsAgentTail: ratio(m((r) => r.ovsDocker.totalMs), m((r) => r.nsvswitch.burstTailMs)),
    ovsDockerLoopVsAgentBusy: ratio(m((r) => r.ovsDocker.totalMs), busy),
  };
}

const pct = (r: number | undefined): string => (r === undefined ? 'n/a' : `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(1)}%`);
const goal = (ok: boolean | undefined): string => (ok === undefined ? 'n/a' : ok ? 'met' : 'missed');

export function ratiosTable(r: DockerRatios): Table {
  const le = (x: number | undefined, max: number): boolean | undefined => (x === undefined ? undefined : x <= max);
  const ge = (x: number | undefined, min: number): boolean | undefined => (x === undefined ? undefined : x >= min);
  return {
    title: 'Ratios (goals: the agent adds < 10% to docker run time; the burst ≥ 10x faster than ovs-docker)',
    headers: ['', 'ratio', 'as change', 'goal'],
    rows: [
      ['one at a time: run → tenant-ready (agent) / docker run (no agent), p50', formatRatio(r.sequentialReadyVsRunP50), pct(r.sequentialReadyVsRunP50), goal(le(r.sequentialReadyVsRunP50, 1.1))],
      ['one at a time: same, p95', formatRatio(r.sequentialReadyVsRunP95), pct(r.sequentialReadyVsRunP95), goal(le(r.sequentialReadyVsRunP95, 1.1))],
      ['one at a time: docker run with agent / without, p50', formatRatio(r.sequentialRunSlowdownP50), pct(r.sequentialRunSlowdownP50), goal(le(r.sequentialRunSlowdownP50, 1.1))],
      ['burst: run → tenant-ready (agent) / docker run (no agent), p50', formatRatio(r.burstReadyVsRunP50), pct(r.burstReadyVsRunP50), goal(le(r.burstReadyVsRunP50, 1.1))],
      ['burst: same, p95', formatRatio(r.burstReadyVsRunP95), pct(r.burstReadyVsRunP95), goal(le(r.burstReadyVsRunP95, 1.1))],
      ['burst: docker run with agent / without, p50', formatRatio(r.burstRunSlowdownP50), pct(r.burstRunSlowdownP50), goal(le(r.burstRunSlowdownP50, 1.1))],
      ['burst total: nsvswitch all ready / no agent all returned', formatRatio(r.burstTotalVsNoAgent), pct(r.burstTotalVsNoAgent), goal(le(r.burstTotalVsNoAgent, 1.1))],
      ['burst, start to plugged: (no agent + ovs-docker loop) / nsvswitch', formatRatio(r.ovsDockerEndToEndVsAgent), '', goal(ge(r.ovsDockerEndToEndVsAgent, 10))],
      ['plugging only: ovs-docker loop / nsvswitch tail after the last docker run', formatRatio(r.ovsDockerLoopVsAgentTail), '', goal(ge(r.ovsDockerLoopVsAgentTail, 10))],
      ['plugging only: ovs-docker loop / nsvswitch busy time (reconcile passes)', formatRatio(r.ovsDockerLoopVsAgentBusy), '', goal(ge(r.ovsDockerLoopVsAgentBusy, 10))],
    ],
  };
}
