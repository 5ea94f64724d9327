import type { Atom, Value } from './row-types.js';

// Decoded rows are already shaped by the schema; these only narrow the types (shared by every typed replica).

export function str(v: Value): string {
  return typeof v === 'string' ? v : v === undefined ? '' : String(v);
}
export function optStr(v: Value): string | undefined {
  return v === undefined ? undefined : str(v);
}
export function num(v: Value): number {
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0;
}
export function optNum(v: Value): number | undefined {
  return v === undefined ? undefined : num(v);
}
export function optBool(v: Value): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}
export function strs(v: Value): readonly string[] {
  return Array.isArray(v) ? (v as readonly Atom[]).map(String) : [];
}
export function strMap(v: Value): Readonly<Record<string, string>> {
  return (v ?? {}) as Readonly<Record<string, string>>;
}
export function numMap(v: Value): Readonly<Record<string, number>> {
  const rec = (v ?? {}) as Readonly<Record<string, Atom>>;
  for (const x of Object.values(rec)) if (typeof x !== 'number') return Object.fromEntries(Object.entries(rec).map(([k, y]) => [k, Number(y)]));
  return rec as Readonly<Record<string, number>>;
}
