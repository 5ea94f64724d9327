/**
 * Decoded (plain JS) data: what rows look like once read from the wire with
 * the schema's help. uuid → string, optional column → value | undefined,
 * set → array, map → Record (keys stringified), integers → number, or bigint
 * outside Number's safe range.
 */
export type Atom = string | number | bigint | boolean;
export type Value = Atom | readonly Atom[] | Readonly<Record<string, Atom>> | undefined;
export type Row = Readonly<Record<string, Value>> & { readonly _uuid: string };
/** Rows of one table by _uuid. */
export type TableRows = ReadonlyMap<string, Row>;
/** Rows of every monitored table, by table name. */
export type DbRows = ReadonlyMap<string, TableRows>;
