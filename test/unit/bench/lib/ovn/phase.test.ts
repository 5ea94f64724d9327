import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { latencies, subnetIp, watchNewFiles, workloadName } from '../../../../../bench/lib/ovn/phase.js';

describe('bench/ovn latencies and names', () => {
  it('times each workload from its own start and the burst from the first start to the last stop', () => {
    const r = latencies(new Map([['a', 100], ['b', 150]]), new Map([['a', 400], ['b', 300]]));
    expect(r.latencyMs).toEqual([300, 150]);
    expect(r.totalMs).toBe(300);
    expect(() => latencies(new Map([['a', 1]]), new Map())).toThrow(/workload a: no stop stamp/);
  });

  it('keeps names short enough for the driver\'s veth names and addresses inside one /16', () => {
    expect(workloadName('s', 2, 0, 99)).toBe('s2-1-0100');
    expect(`${workloadName('s', 12, 2, 9998).slice(0, 13)}_c`.length).toBeLessThanOrEqual(15);
    expect(subnetIp('10.82', 0)).toBe('10.82.0.2');
    expect(subnetIp('10.82', 300)).toBe('10.82.1.46');
    expect(() => subnetIp('10.82', 65_533)).toThrow(RangeError);
  });
});

describe('bench/ovn namespace file watch', () => {
  it('stamps the wanted files once, when they appear, keyed by full path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nsvs-ovn-watch-'));
    const stamps = new Map<string, number>();
    const close = watchNewFiles(dir, new Set(['a', 'b']), stamps);
    try {
      await writeFile(join(dir, 'a'), '');
      await writeFile(join(dir, 'other'), '');
      await writeFile(join(dir, 'b'), '');
      for (let i = 0; i < 100 && stamps.size < 2; i++) await sleep(10);
      const first = stamps.get(join(dir, 'a'));
      await writeFile(join(dir, 'a'), 'again');
      await sleep(50);
      expect([...stamps.keys()].sort()).toEqual([join(dir, 'a'), join(dir, 'b')]);
      expect(stamps.get(join(dir, 'a'))).toBe(first);
    } finally {
      close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
