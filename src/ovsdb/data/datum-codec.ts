import type { ColumnType, BaseType, TableSchema } from '../schema/db-schema.js';
import { OvsdbDatumError } from '../errors/ovsdb-datum-error.js';
import { isUuid } from '../wire/uuid.js';
import { ZERO_UUID, type WireAtom, type WireRow, type WireValue } from '../wire/wire-types.js';
import type { Atom, Row, Value } from './row-types.js';

// Server data is untrusted: every atom is checked against its column's type
// (a value that does not fit throws OvsdbDatumError, and the monitor skips the
// row), and maps and rows are null-prototype objects, so a key such as
// "__proto__" is an ordinary key and never reaches Object.prototype.

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function fail(reason: string): never {
  throw new OvsdbDatumError(reason);
}

/** A short description of an untrusted value for an error message (never the whole value). */
function describeValue(x: unknown): string {
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (x === null) return 'null';
  if (typeof x === 'string') return `a string of ${x.length} characters`;
  if (typeof x === 'number' || typeof x === 'boolean') return `${typeof x} ${String(x)}`;
  if (typeof x === 'bigint') return `integer of ${x.toString().length} digits`;
  return typeof x;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A new object without a prototype: keys from the server are plain data. */
function bare<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/**
 * Decodes one wire atom: ["uuid", x] → x, numbers stay numbers, safe bigints
 * become numbers. With `base`, the atom must be of that type (integers within
 * int64, reals finite, uuids in uuid form); without, any well-formed atom.
 */
export function decodeAtom(atom: WireAtom | unknown, base?: BaseType): Atom {
  const type = base?.type;
  if (Array.isArray(atom)) {
    if (atom.length === 2 && atom[0] === 'uuid' && isUuid(atom[1]) && (type === undefined || type === 'uuid')) return atom[1];
  } else {
    switch (typeof atom) {
      case 'string':
        if (type === undefined || type === 'string') return atom;
        break;
      case 'boolean':
        if (type === undefined || type === 'boolean') return atom;
        break;
      case 'number':
        if (type === 'integer' ? Number.isSafeInteger(atom) : (type === undefined || type === 'real') && Number.isFinite(atom)) return atom;
        break;
      case 'bigint':
        if (type === 'real') return Number(atom);
        if ((type === undefined || type === 'integer') && atom >= INT64_MIN && atom <= INT64_MAX) {
          return atom >= BigInt(Number.MIN_SAFE_INTEGER) && atom <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(atom) : atom;
        }
        break;
    }
  }
  return fail(`expected ${type ?? 'an atom'}, got ${describeValue(atom)}`);
}

/** The elements of a wire value seen as a set: ["set", [...]] or a bare atom (a one-element set). */
export function wireSetAtoms(value: WireValue | unknown): readonly unknown[] {
  if (Array.isArray(value)) {
    if (value[0] === 'set') {
      if (value.length === 2 && Array.isArray(value[1])) return value[1] as readonly unknown[];
      fail('malformed set');
    }
    if (value[0] === 'map') fail('expected a set, got a map');
  }
  return [value];
}

function wireMapPairs(value: unknown): readonly (readonly [unknown, unknown])[] {
  if (Array.isArray(value) && value.length === 2 && value[0] === 'map' && Array.isArray(value[1])) {
    const pairs = value[1] as readonly unknown[];
    for (const p of pairs) if (!Array.isArray(p) || p.length !== 2) fail('malformed map pair');
    return pairs as readonly (readonly [unknown, unknown])[];
  }
  return fail(`expected a map, got ${describeValue(value)}`);
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

/**
 * Decodes a column value by its type: scalar → atom, optional → atom | undefined,
 * set → array, map → null-prototype Record. Throws OvsdbDatumError when the value
 * does not fit the type.
 */
export function decodeValue(t: ColumnType, value: WireValue | unknown): Value {
  if (t.value !== undefined) {
    const out = bare<Atom>();
    for (const [k, v] of wireMapPairs(value)) out[mapKey(decodeAtom(k, t.key))] = decodeAtom(v, t.value);
    return out;
  }
  const atoms = wireSetAtoms(value);
  if (atoms.length > t.max) fail(`${atoms.length} elements in a column of at most ${t.max}`);
  if (isScalar(t)) {
    return atoms.length === 0 ? defaultAtom(t.key) : decodeAtom(atoms[0], t.key);
  }
  if (isOptional(t)) {
    return atoms.length === 0 ? undefined : decodeAtom(atoms[0], t.key);
  }
  // One order for every set, whatever the server sent: initial rows and diffs (applyColumnDiff) alike.
  return atoms.map((a) => decodeAtom(a, t.key)).sort(compareAtoms);
}

/** The schema default of a column (what initial/insert updates leave out). */
export function defaultValue(t: ColumnType): Value {
  if (t.value !== undefined) {
    const out = bare<Atom>();
    if (t.min > 0) out[mapKey(defaultAtom(t.key))] = defaultAtom(t.value);
    return out;
  }
  if (isScalar(t)) return defaultAtom(t.key);
  if (isOptional(t)) return undefined;
  return Array.from({ length: t.min }, () => defaultAtom(t.key));
}

function withColumn<T>(name: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof OvsdbDatumError && err.column === undefined) throw new OvsdbDatumError(err.message.replace(/^bad OVSDB value: /, ''), name);
    throw err;
  }
}

/**
 * Decodes a wire row, filling every missing column (of `columns`, default all)
 * with its schema default: update2 "initial"/"insert" omit default values.
 * The row is a null-prototype object; a row that is not an object, or a
 * value that does not fit its column, throws OvsdbDatumError.
 */
export function decodeRow(table: TableSchema, id: string, wire: WireRow | unknown, columns?: readonly string[]): Row {
  if (!isUuid(id)) fail(`row id is not a uuid (${describeValue(id)})`);
  if (!isRecord(wire)) fail(`row ${id} is ${describeValue(wire)}, not an object`);
  const row = bare<Value>();
  row._uuid = id;
  for (const name of columns ?? table.columns.keys()) {
    const col = table.columns.get(name);
    if (!col || name === '_uuid') continue;
    if (!Object.hasOwn(wire, name)) {
      row[name] = defaultValue(col.type);
      continue;
    }
    // Inline rather than withColumn(): no closure per column of every row of an initial load.
    try {
      row[name] = decodeValue(col.type, wire[name]);
    } catch (err) {
      if (err instanceof OvsdbDatumError && err.column === undefined) throw new OvsdbDatumError(err.message.replace(/^bad OVSDB value: /, ''), name);
      throw err;
    }
  }
  return row as Row;
}

/** The one element order of decoded sets: strings and uuids by code unit, numbers numerically, false before true. */
export function compareAtoms(a: Atom, b: Atom): number {
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
export function applyColumnDiff(t: ColumnType, old: Value, diff: WireValue | unknown): Value {
  if (t.max <= 1) return decodeValue(t, diff);
  if (t.value !== undefined) {
    const out: Record<string, Atom> = Object.assign(bare<Atom>(), old);
    for (const [k, v] of wireMapPairs(diff)) {
      const key = mapKey(decodeAtom(k, t.key));
      const val = decodeAtom(v, t.value);
      if (Object.hasOwn(out, key) && out[key] === val) delete out[key];
      else out[key] = val;
    }
    return out;
  }
  const current = new Set<Atom>(old === undefined ? [] : Array.isArray(old) ? (old as readonly Atom[]) : [old as Atom]);
  for (const a of wireSetAtoms(diff)) {
    const atom = decodeAtom(a, t.key);
    if (current.has(atom)) current.delete(atom);
    else current.add(atom);
  }
  return [...current].sort(compareAtoms);
}

/** Applies a whole update2 "modify" row diff; returns a new row (the old one is untouched). */
export function applyRowDiff(table: TableSchema, old: Row, diff: WireRow | unknown): Row {
  if (!isRecord(diff)) fail(`modify of row ${old._uuid} is ${describeValue(diff)}, not an object`);
  const row: Record<string, Value> = Object.assign(bare<Value>(), old);
  for (const [name, d] of Object.entries(diff)) {
    const col = table.columns.get(name);
    if (!col || name === '_uuid') continue;
    row[name] = withColumn(name, () => applyColumnDiff(col.type, old[name], d));
  }
  return row as Row;
}
