import { run } from '../../../src/exec/run.js';
import type { OvsSandbox } from '../../../src/sandbox/ovs-sandbox.js';

export const ORACLE_TABLES = ['Open_vSwitch', 'Bridge', 'Port', 'Interface'] as const;

type Json = unknown;
interface DumpTable { caption: string; headings: string[]; data: Json[][] }

/**
 * The database as `ovsdb-client dump` (the real tool) shows it, made
 * comparable across two servers: uuids become table:name labels, sets are
 * sorted after relabelling, rows are keyed by label.
 */
export async function oracleDump(sb: OvsSandbox, tables: readonly string[] = ORACLE_TABLES): Promise<Record<string, Record<string, Record<string, Json>>>> {
  const out = (await run('ovsdb-client', ['--format=json', 'dump', sb.dbEndpoint, 'Open_vSwitch'], { env: sb.env })).stdout;
  const dumps = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as DumpTable);
  const rowsOf = (t: string): Record<string, Json>[] => {
    const d = dumps.find((x) => x.caption === `${t} table`);
    if (!d) throw new Error(`ovsdb-client dump lacks table ${t}`);
    return d.data.map((r) => Object.fromEntries(d.headings.map((h, i) => [h, r[i]])));
  };
  const labels = new Map<string, string>();
  for (const t of tables) {
    for (const r of rowsOf(t)) labels.set((r._uuid as [string, string])[1], t === 'Open_vSwitch' ? 'root' : `${t}:${String(r.name)}`);
  }
  const relabel = (v: Json): Json => {
    if (Array.isArray(v)) {
      if (v[0] === 'uuid' && typeof v[1] === 'string') return ['ref', labels.get(v[1]) ?? 'dangling'];
      const mapped = v.map(relabel);
      if (v[0] === 'set' && Array.isArray(mapped[1])) return ['set', [...(mapped[1] as Json[])].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))];
      return mapped;
    }
    return v;
  };
  const result: Record<string, Record<string, Record<string, Json>>> = {};
  for (const t of tables) {
    result[t] = {};
    for (const r of rowsOf(t)) {
      const label = labels.get((r._uuid as [string, string])[1])!;
      const { _uuid: _, _version: __, ...cols } = r;
      result[t][label] = Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, relabel(v)]));
    }
  }
  return result;
}
