import { describe, expect, it } from 'vitest';
import { parseProcStatCpuTicks } from '../../../../bench/lib/process-cpu.js';

// /proc/PID/stat of ovs-vswitchd (first 20 fields): utime 1234, stime 567.
const STAT = '4242 (ovs-vswitchd) S 1 4241 4241 0 -1 4194624 3350 0 0 0 1234 567 0 0 20 0 9 0 5210 ';

describe('parseProcStatCpuTicks', () => {
  it('adds user and system ticks (fields 14 and 15)', () => {
    expect(parseProcStatCpuTicks(STAT)).toBe(1801);
  });

  it('counts fields after the last parenthesis, whatever the command name holds', () => {
    expect(parseProcStatCpuTicks(STAT.replace('(ovs-vswitchd)', '(a) b (c))'))).toBe(1801);
  });

  it('has no value for text that is not a stat line', () => {
    expect(parseProcStatCpuTicks('')).toBeUndefined();
    expect(parseProcStatCpuTicks('4242 (x) S 1')).toBeUndefined();
  });
});
