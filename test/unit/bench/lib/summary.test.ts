import { describe, expect, it } from 'vitest';
import { renderBenchSection, summaryTables } from '../../../../bench/lib/summary.js';

const table = { title: 'T', headers: ['a', 'b'], rows: [['1', '2']] };

describe('summaryTables', () => {
  it('keeps well-formed tables and skips anything else another bench may have written', () => {
    expect(summaryTables({ summary: [table, { title: 'x' }, 'y'] as never })).toEqual([table]);
    expect(summaryTables(undefined)).toEqual([]);
    expect(summaryTables({})).toEqual([]);
  });
});

describe('renderBenchSection', () => {
  it('prints the status line and the tables of a fresh result', () => {
    const out = renderBenchSection({ name: 'burst', status: 'ok in 3.0 s', result: { summary: [table] }, fresh: true });
    expect(out.split('\n')[0]).toBe('== burst: ok in 3.0 s');
    expect(out).toContain('T\na  b\n');
  });

  it('marks a result left from an earlier run and a result without tables', () => {
    const out = renderBenchSection({ name: 'flows', status: 'exit 1 in 1.0 s', result: { finishedAt: '2026-01-01T00:00:00Z' }, fresh: false });
    expect(out).toContain('(result file from an earlier run, 2026-01-01T00:00:00Z)');
    expect(out).toContain('(no summary tables in its result file)');
  });
});

describe('renderBenchSection as markdown', () => {
  it('writes each table as a bold title and a GitHub table, notes as a list', () => {
    const out = renderBenchSection({ name: 'b', status: 'ok', result: { summary: [{ ...table, notes: ['sampled'] }] }, fresh: true, markdown: true });
    expect(out).toContain('**T**\n\n| a | b |\n|---|---:|\n| 1 | 2 |\n');
    expect(out).toContain('\n* sampled');
  });
});
