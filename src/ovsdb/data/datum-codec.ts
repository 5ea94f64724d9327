import type { ColumnType, BaseType, TableSchema } from '../schema/db-schema.js';
import { ZERO_UUID, type WireAtom, type WireRow, type WireValue } from '../wire/wire-types.js';
import type { Atom, Row, Value } from './row-types.js';

/** Decodes one wire atom: ["uuid", x] → x, numbers stay numbers, safe bigints become numbers. */
export function decodeAtom(atom: WireAtom): Atom {
  if (Array.isArray(atom)) return atom[1] as string;
  if (typeof atom === 'bigint' && atom >= BigInt(Number.MIN_SAFE_INTEGER) && atom <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(atom);
  return atom as Atom;
}

/** The elements of a wire value seen as a set: ["set", [...]] or a bare atom (a one-element set). */
export function wireSetAtoms(value: WireValue): readonly WireAtom[] {
  if (Array.isArray(value)) {
    if (value[0] === 'set') return value[1] as readonly WireAtom[];
    if (value[0] === 'uuid' || value[0] === 'named-uuid') return [value as WireAtom];
    if (value[0] === 'map') throw new TypeError('expected a set, got a map');
  }
  return [value as WireAtom];
}

function wireMapPairs(value: WireValue): readonly (readonly [WireAtom, WireAtom])[] {
  if (Array.isArray(value) && value[0] === 'map') return value[1] as readonly (readonly [WireAtom, WireAtom])[];
  throw new TypeError(`expected a map, got ${String(value)}`);
}

/** Map keys are stringified (decoded rows use Records); integer keys become "1", "2", ... */
function mapKey(atom: Atom): string {
  return String(atom);
}

/** Type-specific default of one atom (RFC 7047: 0, 0.0, false, "", all-zero uuid). */
function defaultAtom(base: BaseType): Atom {
  switch (base.type) {
    case 'integer':
    case 'real':
      return 0;
    case 'boolean':
      return false;
    case 'string':
      return '';
    case 'uuid':
      return ZERO_UUID;
  }
}

function isScalar(t: ColumnType): boolean {
  return t.value === undefined && t.min === 1 && t.max === 1;
}

function isOptional(t: ColumnType): boolean {
  return t.value === undefined && t.min === 0 && t.max === 1;
}

/** Decodes a column value by its type: scalar → atom, optional → atom | undefined, set → array, map → Record. */
export function decodeValue(t: ColumnType, value: WireValue): Value {
  if (t.value !== undefined) {
    const out: Record<string, Atom> = {};
    for (const [k, v] of wireMapPairs(value)) out[mapKey(decodeAtom(k))] = decodeAtom(v);
    return out;
  }
  const atoms = wireSetAtoms(value);
  if (isScalar(t)) {
    const first = atoms[0];
    return first === undefined ? defaultAtom(t.key) : decodeAtom(first);
  }
  if (isOptional(t)) {
    const first = atoms[0];
    return first === undefined ? undefined : decodeAtom(first);
  }
  return atoms.map(decodeAtom);
}

/** The schema default of a column (what initial/insert updates leave out). */
export function defaultValue(t: ColumnType): Value {
  if (t.value !== undefined) {
    if (t.min === 0) return {};
    return { [mapKey(defaultAtom(t.key))]: defaultAtom(t.value) };
  }
  if (isScalar(t)) return defaultAtom(t.key);
  if (isOptional(t)) return undefined;
  return Array.from({ length: t.min }, () => defaultAtom(t.key));
}

/**
 * Decodes a wire row, filling every missing column (of `columns`, default all)
 * with its schema default: update2 "initial"/"insert" omit default values.
 */
export function decodeRow(table: TableSchema, id: string, wire: WireRow, columns?: readonly string[]): Row {
  const row: Record<string, Value> = { _uuid: id };
  for (const name of columns ?? table.columns.keys()) {
    const col = table.columns.get(name);
    if (!col) continue;
    const v = wire[name];
    row[name] = v === undefined ? defaultValue(col.type) : decodeValue(col.type, v);
  }
  return row as Row;
}

function compareAtoms(a: Atom, b: Atom): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const x = a as number | bigint;
  const y = b as number | bigint;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Applies an update2 "modify" diff to one column. Columns of at most one
 * element (scalars and optional values) carry the new value, as ovsdb-server's
 * ovsdb_datum_diff does for non-composite types; sets toggle each element
 * (symmetric difference); maps add a missing key, delete a key whose value
 * matches, and replace a key whose value differs.
 */
export function applyColumnDiff(t: ColumnType, old: Value, diff: WireValue): Value {
  if (t.max <= 1) return decodeValue(t, diff);
  if (t.value !== undefined) {
    const out: Record<string, Atom> = { ...(old as Readonly<Record<string, Atom>>) };
    for (const [k, v] of wireMapPairs(diff)) {
      const key = mapKey(decodeAtom(k));
      const val = decodeAtom(v);
      if (Object.hasOwn(out, key) && out[key] === val) delete out[key];
      else out[key] = val;
    }
    return out;
  }
  const current = new Set<Atom>(old === undefined ? [] : Array.isArray(old) ? (old as readonly Atom[]) : [old as Atom]);
  for (const a of wireSetAtoms(diff)) {
    const atom = decodeAtom(a);
    if (current.has(atom)) current.delete(atom);
    else current.add(atom);
  }
  return [...current].sort(compareAtoms);
}

/** Applies a whole update2 "modify" row diff; returns a new row (the old one is untouched). */
export function applyRowDiff(table: TableSchema, old: Row, diff: WireRow): Row {
  const row: Record<string, Value> = { ...old };
  for (const [name, d] of Object.entries(diff)) {
    const col = table.columns.get(name);
    if (!col) continue;
    row[name] = applyColumnDiff(col.type, old[name], d);
  }
  return row as Row;
}
