import { describe, expect, it } from 'vitest';
import { agentStages, histogramQuantileBound } from '../../../../bench/lib/agent-stages.js';
import { parsePromText } from '../../../../bench/lib/prom-text.js';

const BEFORE = parsePromText(`
nsvswitch_reconcile_duration_seconds_sum 1.5
nsvswitch_reconcile_duration_seconds_count 10
nsvswitch_ovsdb_transactions_total{kind="write",result="ok"} 4
nsvswitch_ovsdb_transactions_total{kind="read",result="ok"} 2
nsvswitch_ovsdb_transaction_duration_seconds_sum{kind="write"} 0.02
nsvswitch_flow_sync_duration_seconds_sum 0.1
nsvswitch_flow_sync_duration_seconds_count 2
nsvswitch_flow_mods_total{op="add"} 12
nsvswitch_process_spawns_total{program="ip"} 3
nsvswitch_reconcile_stage_seconds_sum{stage="plug"} 0.5
nsvswitch_attach_latency_seconds_bucket{le="0.025"} 1
nsvswitch_attach_latency_seconds_bucket{le="0.05"} 2
nsvswitch_attach_latency_seconds_bucket{le="+Inf"} 2
`);

const AFTER = parsePromText(`
nsvswitch_reconcile_duration_seconds_sum 1.8
nsvswitch_reconcile_duration_seconds_count 13
nsvswitch_ovsdb_transactions_total{kind="write",result="ok"} 6
nsvswitch_ovsdb_transactions_total{kind="write",result="error"} 1
nsvswitch_ovsdb_transactions_total{kind="read",result="ok"} 2
nsvswitch_ovsdb_transaction_duration_seconds_sum{kind="write"} 0.026
nsvswitch_flow_sync_duration_seconds_sum 0.125
nsvswitch_flow_sync_duration_seconds_count 3
nsvswitch_flow_mods_total{op="add"} 18
nsvswitch_flow_mods_total{op="delete"} 1
nsvswitch_process_spawns_total{program="ip"} 4
nsvswitch_process_spawns_total{program="ovs-ofctl"} 1
nsvswitch_reconcile_stage_seconds_sum{stage="plug"} 0.52
nsvswitch_reconcile_stage_seconds_sum{stage="record"} 0.004
nsvswitch_attach_latency_seconds_bucket{le="0.025"} 1
nsvswitch_attach_latency_seconds_bucket{le="0.05"} 5
nsvswitch_attach_latency_seconds_bucket{le="0.1"} 6
nsvswitch_attach_latency_seconds_bucket{le="+Inf"} 6
`);

describe('agentStages', () => {
  it('reports each stage as the difference between two scrapes', () => {
    const s = agentStages(BEFORE, AFTER);
    expect(s.passes).toBe(3);
    expect(s.reconcileMs).toBeCloseTo(300);
    expect(s.ovsdbWrites).toBe(3);
    expect(s.ovsdbWriteMs).toBeCloseTo(6);
    expect(s.ovsdbReads).toBe(0);
    expect(s.flowSyncs).toBe(1);
    expect(s.flowSyncMs).toBeCloseTo(25);
    expect(s.flowMods).toBe(7);
    expect(s.spawns).toBe(2);
    expect(s.spawnsByProgram).toEqual({ ip: 1, 'ovs-ofctl': 1 });
    expect(s.passStageMs.plug).toBeCloseTo(20);
    expect(s.passStageMs.record).toBeCloseTo(4);
  });

  it('counts a fresh process from zero (restart: no scrape before)', () => {
    const s = agentStages(new Map(), AFTER);
    expect(s.ovsdbWrites).toBe(7);
    expect(s.flowMods).toBe(19);
  });

  it('treats metrics the agent does not expose as zero', () => {
    expect(agentStages(new Map(), new Map()).cpuMs).toBe(0);
  });
});

describe('histogramQuantileBound', () => {
  it('gives the upper bound of the bucket holding the quantile of the observations between scrapes', () => {
    // Between the scrapes: 0 in <=25ms, 3 in (25,50], 1 in (50,100].
    expect(histogramQuantileBound(BEFORE, AFTER, 'nsvswitch_attach_latency_seconds', 0.5)).toBe(0.05);
    expect(histogramQuantileBound(BEFORE, AFTER, 'nsvswitch_attach_latency_seconds', 0.95)).toBe(0.1);
  });

  it('is undefined when nothing was observed', () => {
    expect(histogramQuantileBound(AFTER, AFTER, 'nsvswitch_attach_latency_seconds', 0.5)).toBeUndefined();
  });
});
