import { describe, expect, it } from 'vitest';
import { PendingFiles, recheckOffsets, type PendingFilesOptions } from '../../../src/netns/pending-files.js';
import type { Observation, Probe } from '../../../src/netns/observation.js';

const DEFAULTS: PendingFilesOptions = { firstMs: 5, maxStepMs: 1000, maxWaitMs: 10_000, maxTracked: 256, maxRemembered: 4096, reportMaxDelayMs: 30_000 };
const pending = (id: string): Probe => ({ state: 'pending', fileId: id });
const look = (full: boolean, names: Iterable<string>, probe: (n: string) => Probe = pending): Observation =>
  ({ dir: '/d', full, atMs: 0, entries: new Map([...names].map((n) => [n, probe(n)])) });
const strayNames = (n: number) => Array.from({ length: n }, (_, i) => `stray-${i}`);

/** Runs the re-check timer to its end (every re-check answered with "still pending"), counting the names re-checked. */
function drain(files: PendingFiles, from: number): { rechecked: number; lastMs: number; maxTracked: number } {
  let rechecked = 0;
  let now = from;
  let maxTracked = files.trackedCount;
  for (let due = files.nextDueMs(); due !== undefined; due = files.nextDueMs()) {
    now = due;
    const names = files.takeDue(now);
    rechecked += names.length;
    files.observe(look(false, names), now);
    maxTracked = Math.max(maxTracked, files.trackedCount);
  }
  return { rechecked, lastMs: now, maxTracked };
}

describe('PendingFiles', () => {
  it('re-checks at 5, 15, 35 ... ms (steps capped at 1 s) with a last look at 10 s: 17 looks per file', () => {
    const at = recheckOffsets(DEFAULTS);
    expect(at.slice(0, 8)).toEqual([5, 15, 35, 75, 155, 315, 635, 1275]);
    expect(at.at(-1)).toBe(10_000);
    expect(at).toHaveLength(17);
  });

  it('bounds the re-check work of 10,000 stray files: at most maxTracked files re-checked, each 17 times', () => {
    const files = new PendingFiles('/d', DEFAULTS);
    const names = strayNames(10_000);
    files.observe(look(false, names), 0);
    expect(files.trackedCount).toBe(256);
    const { rechecked, maxTracked } = drain(files, 0);
    // Before: every file re-checked 18 times in 10 s (170,000 probes), one look request each.
    expect(rechecked).toBe(256 * 17);
    expect(maxTracked).toBe(256);
    // The last 256 found are the ones re-checked: the file created last is the likeliest namespace.
    expect(files.trackedCount).toBe(0);
  });

  it('reports all of them once, in bulk, when nothing is re-checked any more', () => {
    const files = new PendingFiles('/d', DEFAULTS);
    const names = strayNames(10_000);
    files.observe(look(false, names), 0);
    expect(files.takeReport(0)).toBeUndefined(); // still re-checking the newest
    const { lastMs } = drain(files, 0);
    const report = files.takeReport(lastMs);
    expect(report).toEqual({ dir: '/d', count: 10_000, examples: names.slice(0, 5), cutShort: 10_000 - 256, notRemembered: 10_000 - 4096 });
    expect(files.takeReport(lastMs + 1)).toBeUndefined();
    // A later full scan finding them all again: nothing new to re-check or report.
    files.observe(look(true, names), lastMs + 30_000);
    expect(files.trackedCount).toBe(0);
    expect(files.takeReport(lastMs + 30_000)).toBeUndefined();
  });

  it('remembers at most maxRemembered stray files; with the memory full a full scan does not re-check files it does not know, a hint does', () => {
    const files = new PendingFiles('/d', { ...DEFAULTS, maxTracked: 4, maxRemembered: 10 });
    files.observe(look(false, strayNames(100)), 0);
    drain(files, 0);
    expect(files.rememberedCount).toBe(10);
    files.observe(look(true, strayNames(100)), 20_000);
    expect(files.trackedCount).toBe(0);
    // A file named by an inotify hint (partial look) is re-checked even so.
    files.observe(look(false, ['new-one']), 20_001);
    expect(files.trackedCount).toBe(1);
  });

  it('forgets stray files that are gone, became namespaces or changed (judged anew), and re-checks them again', () => {
    const files = new PendingFiles('/d', DEFAULTS);
    files.observe(look(false, ['a', 'b', 'c']), 0);
    drain(files, 0);
    expect(files.rememberedCount).toBe(3);
    expect(files.takeReport(20_000)?.count).toBe(3);
    // a: gone from a full listing; b: now a namespace; c: a different file of the same name.
    files.observe(look(true, ['b', 'c'], (n) => (n === 'b' ? { state: 'ready', inode: 1, incarnation: '1:1', nsId: '4:1' } : pending('c2'))), 20_000);
    expect(files.rememberedCount).toBe(0);
    expect(files.trackedCount).toBe(1);
  });

  it('lists the files still waiting found recently, due or not, without moving their schedule; not those given up on', () => {
    const files = new PendingFiles('/d', { ...DEFAULTS, maxTracked: 2 });
    files.observe(look(true, ['a', 'b']), 0);
    expect(files.waiting(1, 1000)).toEqual(['a', 'b']);
    expect(files.nextDueMs()).toBe(5);
    // A third pushes the oldest out (given up on): no longer waiting.
    files.observe(look(false, ['c']), 600);
    expect(files.waiting(601, 1000)).toEqual(['b', 'c']);
    expect(files.nextDueMs()).toBe(5);
    // b was found 1001 ms before: too old for a look on a mount change; c is not.
    expect(files.waiting(1001, 1000)).toEqual(['c']);
  });
});
