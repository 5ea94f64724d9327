/** A titled table of strings: what every bench prints and stores as its summary. */
export interface Table {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Lines printed under the table (caveats: sampling, extrapolation, failures). */
  readonly notes?: readonly string[];
}

/** Plain-text table with aligned columns, readable in a terminal and in CI logs. */
export function renderTable(table: Table): string {
  const width = table.headers.length;
  const cells = [table.headers, ...table.rows].map((r) => Array.from({ length: width }, (_, i) => r[i] ?? ''));
  const widths = Array.from({ length: width }, (_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  const [head, ...body] = cells;
  const out = [table.title, line(head ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  for (const n of table.notes ?? []) out.push(`  * ${n}`);
  return `${out.join('\n')}\n`;
}

/** The same table as GitHub markdown, for docs/performance.md. */
export function renderMarkdownTable(table: Table): string {
  const esc = (c: string): string => c.replaceAll('|', '\\|');
  const out = [
    `| ${table.headers.map(esc).join(' | ')} |`,
    `|${table.headers.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...table.rows.map((r) => `| ${table.headers.map((_, i) => esc(r[i] ?? '')).join(' | ')} |`),
  ];
  return `${out.join('\n')}\n`;
}
