import { describe, expect, it } from 'vitest';
import { parsePromText, sampleDelta, sampleKey, sumDelta } from '../../../../bench/lib/prom-text.js';

const before = parsePromText(`# HELP nsvswitch_process_spawns_total Child processes started.
# TYPE nsvswitch_process_spawns_total counter
nsvswitch_process_spawns_total{program="ip"} 2
nsvswitch_reconcile_duration_seconds_bucket{le="+Inf"} 1
nsvswitch_reconcile_duration_seconds_sum 0.5
nsvswitch_reconcile_duration_seconds_count 1
`);
const after = parsePromText(`nsvswitch_process_spawns_total{program="ip"} 7
nsvswitch_process_spawns_total{program="nsenter"} 100
nsvswitch_ovsdb_transactions_total{result="ok",kind="write"} 3 1700000000000
nsvswitch_reconcile_duration_seconds_bucket{le="+Inf"} 4
nsvswitch_reconcile_duration_seconds_sum 2.25
nsvswitch_reconcile_duration_seconds_count 4
nsvswitch_label_with_quote{path="a\\"b c"} 1
`);

describe('parsePromText', () => {
  it('keys samples by name and sorted labels, skipping comments and timestamps', () => {
    expect(after.get(sampleKey('nsvswitch_ovsdb_transactions_total', { kind: 'write', result: 'ok' }))).toBe(3);
    expect(after.get('nsvswitch_reconcile_duration_seconds_bucket{le="+Inf"}')).toBe(4);
    expect(after.get('nsvswitch_label_with_quote{path="a\\"b c"}')).toBe(1);
    expect([...before.keys()].some((k) => k.startsWith('#'))).toBe(false);
  });
});

describe('metric deltas', () => {
  it('subtracts the sample before from the sample after, a new sample counting from zero', () => {
    expect(sampleDelta(before, after, 'nsvswitch_reconcile_duration_seconds_sum')).toBe(1.75);
    expect(sampleDelta(before, after, sampleKey('nsvswitch_process_spawns_total', { program: 'nsenter' }))).toBe(100);
    expect(sampleDelta(before, after, 'nsvswitch_missing')).toBeUndefined();
  });

  it('sums every label set of one metric', () => {
    expect(sumDelta(before, after, 'nsvswitch_process_spawns_total')).toBe(105);
    expect(sumDelta(before, after, 'nsvswitch_reconcile_duration_seconds')).toBeUndefined();
  });
});
