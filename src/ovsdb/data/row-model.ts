import type { Row, Value } from './row-types.js';

/** How each column of a typed row is read from its decoded value (the readers of narrow-values.ts). */
export type ColumnReaders = Readonly<Record<string, (v: Value) => unknown>>;

/** The typed row a model reads: `_uuid` and each column as its reader returns it. */
export type ModelRow<S extends ColumnReaders> = { readonly _uuid: string } & { readonly [C in keyof S]: ReturnType<S[C]> };

/** A typed row model: the columns to monitor and the mapper, from one list so the two cannot drift. */
export interface RowModel<S extends ColumnReaders> {
  readonly columns: readonly (keyof S & string)[];
  readonly toRow: (r: Row) => ModelRow<S>;
}

export function rowModel<S extends ColumnReaders>(readers: S): RowModel<S> {
  const entries = Object.entries(readers);
  return {
    columns: Object.keys(readers) as (keyof S & string)[],
    toRow: (r) => {
      const out: Record<string, unknown> = { _uuid: r._uuid };
      for (const [column, read] of entries) out[column] = read(r[column]);
      return out as ModelRow<S>;
    },
  };
}

/** The typed row of a model. */
export type RowOf<M> = M extends RowModel<infer S> ? ModelRow<S> : never;
