import type { BenchResult } from './results.js';
import { renderMarkdownTable, renderTable, type Table } from './table.js';

function isTable(v: unknown): v is Table {
  if (v === null || typeof v !== 'object') return false;
  const t = v as Record<string, unknown>;
  const strings = (x: unknown): boolean => Array.isArray(x) && x.every((c) => typeof c === 'string');
  return typeof t.title === 'string' && strings(t.headers) && Array.isArray(t.rows) && t.rows.every(strings);
}

/** The tables a result file carries, whichever bench wrote it; malformed entries are skipped. */
export function summaryTables(result: Partial<BenchResult> | undefined): Table[] {
  const s = result?.summary;
  return Array.isArray(s) ? s.filter(isTable) : [];
}

/** One bench's section of the `npm run bench` summary: how it ran, then its tables. */
export function renderBenchSection(o: { name: string; status: string; result?: Partial<BenchResult>; error?: string; fresh: boolean; markdown?: boolean }): string {
  const when = o.result?.finishedAt ?? o.result?.startedAt;
  const head = `== ${o.name}: ${o.status}${o.result && !o.fresh ? ` (result file from an earlier run${when ? `, ${when}` : ''})` : ''}`;
  const out = [head];
  if (o.error) out.push(`   result file unreadable: ${o.error}`);
  const tables = summaryTables(o.result);
  if (o.result && tables.length === 0) out.push('   (no summary tables in its result file)');
  for (const t of tables) out.push(o.markdown ? `\n**${t.title}**\n\n${renderMarkdownTable(t)}${(t.notes ?? []).map((n) => `\n* ${n}`).join('')}` : renderTable(t));
  return `${out.join('\n')}\n`;
}
