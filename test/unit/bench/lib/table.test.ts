import { describe, expect, it } from 'vitest';
import { renderMarkdownTable, renderTable } from '../../../../bench/lib/table.js';

const table = {
  title: 'Burst',
  headers: ['N', 'contender', 'total'],
  rows: [
    ['100', 'peer', '9700 ms'],
    ['1000', 'floor', '6.0 s'],
  ],
  notes: ['peer extrapolated'],
};

describe('renderTable', () => {
  it('left-aligns the first column, right-aligns the others, and lists notes', () => {
    expect(renderTable(table)).toBe(
      [
        'Burst',
        'N     contender    total',
        '----  ---------  -------',
        '100        peer  9700 ms',
        '1000      floor    6.0 s',
        '  * peer extrapolated',
        '',
      ].join('\n'),
    );
  });

  it('pads rows that are shorter than the header', () => {
    const out = renderTable({ title: 't', headers: ['a', 'b'], rows: [['x']] });
    expect(out.split('\n')[3]).toBe('x');
  });
});

describe('renderMarkdownTable', () => {
  it('writes a GitHub table with numeric columns right-aligned and pipes escaped', () => {
    expect(renderMarkdownTable({ title: 't', headers: ['N', 'detail'], rows: [['1', 'a|b']] })).toBe('| N | detail |\n|---|---:|\n| 1 | a\\|b |\n');
  });
});
