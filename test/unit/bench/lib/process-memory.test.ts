import { describe, expect, it } from 'vitest';
import { parseProcStatus, processMemory } from '../../../../bench/lib/process-memory.js';

describe('parseProcStatus', () => {
  it('reads the name and VmRSS/VmHWM in bytes', () => {
    const text = 'Name:\tnode\nUmask:\t0022\nVmHWM:\t  81234 kB\nVmRSS:\t   70000 kB\n';
    expect(parseProcStatus(text)).toEqual({ name: 'node', vmRss: 70000 * 1024, vmHwm: 81234 * 1024 });
  });

  it('is undefined without the memory fields (a kernel thread, a zombie)', () => {
    expect(parseProcStatus('Name:\tkthreadd\nState:\tS (sleeping)\n')).toBeUndefined();
  });
});

describe('processMemory', () => {
  it('reads this very process', async () => {
    const m = await processMemory(process.pid);
    expect(m?.vmRss).toBeGreaterThan(1024 * 1024);
    expect(m?.vmHwm).toBeGreaterThanOrEqual(m?.vmRss ?? Infinity);
  });
});
