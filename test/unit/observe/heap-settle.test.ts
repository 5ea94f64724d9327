import { afterEach, describe, expect, it, vi } from 'vitest';
import { HeapSettler, exposedGc, type HeapSettleReport } from '../../../src/observe/heap-settle.js';

afterEach(() => {
  vi.useRealTimers();
});

function settler(minChanges = 10, quietMs = 100) {
  let collections = 0;
  const reports: HeapSettleReport[] = [];
  const s = new HeapSettler({ minChanges, quietMs, gc: () => void collections++, onSettle: (r) => reports.push(r) });
  // Settles (each runs two collections: the second returns the pages the first left fragmented).
  const calls = (): number => {
    expect(collections).toBe(2 * reports.length);
    return reports.length;
  };
  return { s, calls, reports };
}

describe('HeapSettler', () => {
  it('collects once after a burst, when the passes have been quiet for the wait', () => {
    vi.useFakeTimers();
    const { s, calls, reports } = settler();
    s.note(6);
    s.note(6);
    vi.advanceTimersByTime(99);
    expect(calls()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(calls()).toBe(1);
    expect(reports[0]?.changes).toBe(12);
    vi.advanceTimersByTime(10_000);
    expect(calls()).toBe(1);
  });

  it('never collects for single attaches below the threshold', () => {
    vi.useFakeTimers();
    const { s, calls } = settler();
    for (let i = 0; i < 9; i++) {
      s.note(1);
      vi.advanceTimersByTime(1000);
    }
    expect(calls()).toBe(0);
    s.note(1);
    vi.advanceTimersByTime(100);
    expect(calls()).toBe(1);
  });

  it('waits while passes keep coming (any pass restarts the wait), then collects', () => {
    vi.useFakeTimers();
    const { s, calls } = settler();
    s.note(50);
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(50);
      s.note(0);
    }
    expect(calls()).toBe(0);
    vi.advanceTimersByTime(100);
    expect(calls()).toBe(1);
  });

  it('collects once after the first full pass, whatever it changed (adopting ports in place is a burst too)', () => {
    vi.useFakeTimers();
    const { s, calls } = settler();
    s.note(0);
    s.afterStart();
    vi.advanceTimersByTime(100);
    expect(calls()).toBe(1);
  });

  it('drops the caches it is given just before collecting', () => {
    vi.useFakeTimers();
    const order: string[] = [];
    const s = new HeapSettler({ minChanges: 1, quietMs: 10, gc: () => void order.push('gc'), beforeCollect: () => void order.push('forget') });
    s.note(5);
    vi.advanceTimersByTime(10);
    expect(order).toEqual(['forget', 'gc', 'gc']);
  });

  it('does nothing after stop, and nothing without a collector', () => {
    vi.useFakeTimers();
    const { s, calls } = settler();
    s.note(50);
    s.stop();
    vi.advanceTimersByTime(1000);
    s.note(50);
    vi.advanceTimersByTime(1000);
    expect(calls()).toBe(0);
    const none = new HeapSettler({ gc: undefined });
    expect(none.active).toBe(false);
    none.note(1000);
  });

  it("exposes V8's collector at run time, and it returns a burst's garbage", () => {
    const gc = exposedGc();
    expect(typeof gc).toBe('function');
    let junk: object[] | undefined = Array.from({ length: 300_000 }, (_, i) => ({ i, s: `garbage-${i}` }));
    expect(junk.length).toBe(300_000);
    const before = process.memoryUsage().heapUsed;
    junk = undefined;
    gc?.();
    expect(process.memoryUsage().heapUsed).toBeLessThan(before - 10 * 1024 * 1024);
  });
});
