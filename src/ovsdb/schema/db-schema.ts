import { OvsdbSchemaError } from '../errors/ovsdb-schema-error.js';

export type AtomicType = 'integer' | 'real' | 'boolean' | 'string' | 'uuid';

export interface BaseType {
  readonly type: AtomicType;
  readonly enum?: readonly unknown[];
  readonly refTable?: string;
  readonly refType?: 'strong' | 'weak';
  readonly minInteger?: number;
  readonly maxInteger?: number;
}

export interface ColumnType {
  readonly key: BaseType;
  readonly value?: BaseType;
  readonly min: number;
  /** Infinity for "unlimited". */
  readonly max: number;
}

export interface ColumnSchema {
  readonly name: string;
  readonly type: ColumnType;
  readonly ephemeral: boolean;
  readonly mutable: boolean;
}

export interface TableSchema {
  readonly name: string;
  readonly columns: ReadonlyMap<string, ColumnSchema>;
  readonly isRoot: boolean;
  readonly indexes: readonly (readonly string[])[];
  readonly maxRows?: number;
}

export interface DbSchema {
  readonly name: string;
  readonly version: string;
  readonly cksum?: string;
  readonly tables: ReadonlyMap<string, TableSchema>;
}

const ATOMIC: ReadonlySet<string> = new Set(['integer', 'real', 'boolean', 'string', 'uuid']);

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

// A base type is either "string" or {"type": "string", ...constraints}.
function parseBaseType(json: unknown, where: string): BaseType {
  if (typeof json === 'string') {
    if (!ATOMIC.has(json)) throw new OvsdbSchemaError(`${where}: unknown atomic type "${json}"`);
    return { type: json as AtomicType };
  }
  if (!isObject(json) || typeof json.type !== 'string' || !ATOMIC.has(json.type)) {
    throw new OvsdbSchemaError(`${where}: bad base type ${JSON.stringify(json)}`);
  }
  const base: { -readonly [K in keyof BaseType]: BaseType[K] } = { type: json.type as AtomicType };
  if (json.enum !== undefined) {
    const e = json.enum;
    base.enum = Array.isArray(e) && e[0] === 'set' && Array.isArray(e[1]) ? (e[1] as unknown[]) : [e];
  }
  if (typeof json.refTable === 'string') {
    base.refTable = json.refTable;
    base.refType = json.refType === 'weak' ? 'weak' : 'strong';
  }
  if (typeof json.minInteger === 'number') base.minInteger = json.minInteger;
  if (typeof json.maxInteger === 'number') base.maxInteger = json.maxInteger;
  return base;
}

function parseColumnType(json: unknown, where: string): ColumnType {
  if (typeof json === 'string') return { key: parseBaseType(json, where), min: 1, max: 1 };
  if (!isObject(json)) throw new OvsdbSchemaError(`${where}: bad column type ${JSON.stringify(json)}`);
  const min = json.min === undefined ? 1 : Number(json.min);
  const max = json.max === undefined ? 1 : json.max === 'unlimited' ? Infinity : Number(json.max);
  const t: ColumnType = {
    key: parseBaseType(json.key, `${where}.key`),
    min,
    max,
    ...(json.value !== undefined ? { value: parseBaseType(json.value, `${where}.value`) } : {}),
  };
  return t;
}

/** Turns a get_schema reply into lookup maps; the row codec and monitors need column types. */
export function parseDbSchema(json: unknown): DbSchema {
  if (!isObject(json) || typeof json.name !== 'string' || !isObject(json.tables)) {
    throw new OvsdbSchemaError('get_schema reply is not a database schema');
  }
  const tables = new Map<string, TableSchema>();
  for (const [tname, tjson] of Object.entries(json.tables)) {
    if (!isObject(tjson) || !isObject(tjson.columns)) throw new OvsdbSchemaError(`table ${tname}: no columns`);
    const columns = new Map<string, ColumnSchema>();
    for (const [cname, cjson] of Object.entries(tjson.columns)) {
      if (!isObject(cjson)) throw new OvsdbSchemaError(`column ${tname}.${cname}: not an object`);
      columns.set(cname, {
        name: cname,
        type: parseColumnType(cjson.type, `${tname}.${cname}`),
        ephemeral: cjson.ephemeral === true,
        mutable: cjson.mutable !== false,
      });
    }
    tables.set(tname, {
      name: tname,
      columns,
      isRoot: tjson.isRoot === true,
      indexes: Array.isArray(tjson.indexes) ? (tjson.indexes as string[][]) : [],
      ...(typeof tjson.maxRows === 'number' ? { maxRows: tjson.maxRows } : {}),
    });
  }
  return {
    name: json.name,
    version: typeof json.version === 'string' ? json.version : '',
    ...(typeof json.cksum === 'string' ? { cksum: json.cksum } : {}),
    tables,
  };
}

/** Looks a table up, naming it in the error when the schema lacks it. */
export function tableSchema(schema: DbSchema, table: string): TableSchema {
  const t = schema.tables.get(table);
  if (!t) throw new OvsdbSchemaError(`database ${schema.name} has no table ${table}`);
  return t;
}
