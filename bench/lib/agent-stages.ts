import { sampleDelta, sampleKey, sumDelta, type PromSamples } from './prom-text.js';

/**
 * The agent's work between two scrapes of its /metrics, by stage: what a
 * bench needs to say where the time of an attach (or a restart) went.
 */
export interface AgentStages {
  readonly passes: number;
  readonly reconcileMs: number;
  readonly ovsdbWrites: number;
  readonly ovsdbWriteMs: number;
  readonly ovsdbReads: number;
  readonly flowSyncs: number;
  readonly flowSyncMs: number;
  readonly flowMods: number;
  readonly spawns: number;
  readonly spawnsByProgram: Readonly<Record<string, number>>;
  /** Wall time by stage of the passes (nsvswitch_reconcile_stage_seconds{stage} sums), ms. */
  readonly passStageMs: Readonly<Record<string, number>>;
  readonly cpuMs: number;
  readonly reconcileErrors: number;
}

const SPAWNS = 'nsvswitch_process_spawns_total';

/** after - before for every stage; a metric the agent does not expose counts as 0. */
export function agentStages(before: PromSamples, after: PromSamples): AgentStages {
  const d = (key: string): number => sampleDelta(before, after, key) ?? 0;
  const s = (name: string): number => sumDelta(before, after, name) ?? 0;
  const writeKeys = ['ok', 'error'].map((result) => sampleKey('nsvswitch_ovsdb_transactions_total', { kind: 'write', result }));
  const readKeys = ['ok', 'error'].map((result) => sampleKey('nsvswitch_ovsdb_transactions_total', { kind: 'read', result }));
  const spawnsByProgram: Record<string, number> = {};
  for (const k of after.keys()) {
    const m = /^nsvswitch_process_spawns_total\{program="([^"]*)"\}$/.exec(k);
    if (m?.[1] !== undefined) spawnsByProgram[m[1]] = d(k);
  }
  const passStageMs: Record<string, number> = {};
  for (const k of after.keys()) {
    const m = /^nsvswitch_reconcile_stage_seconds_sum\{stage="([^"]*)"\}$/.exec(k);
    if (m?.[1] !== undefined) passStageMs[m[1]] = d(k) * 1000;
  }
  return {
    passes: d('nsvswitch_reconcile_duration_seconds_count'),
    reconcileMs: d('nsvswitch_reconcile_duration_seconds_sum') * 1000,
    ovsdbWrites: writeKeys.reduce((a, k) => a + d(k), 0),
    ovsdbWriteMs: d(sampleKey('nsvswitch_ovsdb_transaction_duration_seconds_sum', { kind: 'write' })) * 1000,
    ovsdbReads: readKeys.reduce((a, k) => a + d(k), 0),
    flowSyncs: d('nsvswitch_flow_sync_duration_seconds_count'),
    flowSyncMs: d('nsvswitch_flow_sync_duration_seconds_sum') * 1000,
    flowMods: s('nsvswitch_flow_mods_total'),
    spawns: s(SPAWNS),
    spawnsByProgram,
    passStageMs,
    cpuMs: d('nsvswitch_process_cpu_seconds_total') * 1000,
    reconcileErrors: s('nsvswitch_reconcile_errors_total'),
  };
}

/**
 * A quantile of a Prometheus histogram between two scrapes, as the upper
 * bound (le) of the first bucket that holds it: an upper bound, never an
 * interpolated value. Undefined when nothing was observed.
 */
export function histogramQuantileBound(before: PromSamples, after: PromSamples, name: string, q: number): number | undefined {
  const buckets: { le: number; count: number }[] = [];
  const prefix = `${name}_bucket{`;
  for (const k of after.keys()) {
    if (!k.startsWith(prefix)) continue;
    const m = /le="([^"]+)"/.exec(k);
    if (!m?.[1]) continue;
    buckets.push({ le: m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]), count: sampleDelta(before, after, k) ?? 0 });
  }
  buckets.sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return undefined;
  return buckets.find((b) => b.count >= q * total)?.le;
}
