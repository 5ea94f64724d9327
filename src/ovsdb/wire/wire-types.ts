/**
 * RFC 7047 wire types: what goes over the socket, JSON as the server speaks
 * it. Integers outside Number's safe range travel as bigint (see json-codec).
 */

export type Uuid = readonly ['uuid', string];
export type NamedUuid = readonly ['named-uuid', string];
export type WireAtom = string | number | bigint | boolean | Uuid | NamedUuid;
export type WireSet = readonly ['set', readonly WireAtom[]];
export type WireMap = readonly ['map', readonly (readonly [WireAtom, WireAtom])[]];
/** A column value: a bare atom is a one-element set (RFC 7047 §5.1). */
export type WireValue = WireAtom | WireSet | WireMap;
export type WireRow = Readonly<Record<string, WireValue>>;

export type ConditionFunction = '<' | '<=' | '==' | '!=' | '>=' | '>' | 'includes' | 'excludes';
export type Condition = readonly [column: string, fn: ConditionFunction, value: WireValue];
/** A monitor_cond condition: a triple, or `true`/`false`. */
export type MonitorCondition = Condition | boolean;
export type Mutator = '+=' | '-=' | '*=' | '/=' | '%=' | 'insert' | 'delete';
export type Mutation = readonly [column: string, mutator: Mutator, value: WireValue];

export interface InsertOp { readonly op: 'insert'; readonly table: string; readonly row: WireRow; readonly 'uuid-name'?: string; readonly uuid?: string }
export interface SelectOp { readonly op: 'select'; readonly table: string; readonly where: readonly Condition[]; readonly columns?: readonly string[] }
export interface UpdateOp { readonly op: 'update'; readonly table: string; readonly where: readonly Condition[]; readonly row: WireRow }
export interface MutateOp { readonly op: 'mutate'; readonly table: string; readonly where: readonly Condition[]; readonly mutations: readonly Mutation[] }
export interface DeleteOp { readonly op: 'delete'; readonly table: string; readonly where: readonly Condition[] }
export interface WaitOp {
  readonly op: 'wait'; readonly table: string; readonly where: readonly Condition[];
  readonly columns: readonly string[]; readonly until: '==' | '!='; readonly rows: readonly WireRow[];
  /** Milliseconds; 0 = check once. Omitted = wait forever. */
  readonly timeout?: number;
}
export interface CommitOp { readonly op: 'commit'; readonly durable: boolean }
export interface AbortOp { readonly op: 'abort' }
export interface CommentOp { readonly op: 'comment'; readonly comment: string }
export interface AssertOp { readonly op: 'assert'; readonly lock: string }

export type Operation = InsertOp | SelectOp | UpdateOp | MutateOp | DeleteOp | WaitOp | CommitOp | AbortOp | CommentOp | AssertOp;

/** One element of a transact reply (RFC 7047 §5.2); errors are thrown as OvsdbOpError instead. */
export interface OperationResult {
  /** insert */
  readonly uuid?: Uuid;
  /** update, mutate, delete */
  readonly count?: number;
  /** select */
  readonly rows?: readonly WireRow[];
  readonly error?: string;
  readonly details?: string;
}

/** Operations that change the database (the rest only read or assert). */
export const WRITE_OPS: ReadonlySet<Operation['op']> = new Set(['insert', 'update', 'mutate', 'delete']);

// ---- monitor ----

export interface MonitorTableRequest {
  /** Columns to watch; default: all. */
  readonly columns?: readonly string[];
  /** monitor_cond(_since) only: rows to watch; default: all. */
  readonly where?: readonly MonitorCondition[];
}
export type MonitorRequests = Readonly<Record<string, MonitorTableRequest>>;

/** update (monitor v1): full new row, old has the changed columns. */
export interface RowUpdate1 { readonly old?: WireRow; readonly new?: WireRow }
/** update2/update3 (monitor_cond/_since): one key per kind, modify is a diff. */
export interface RowUpdate2 { readonly initial?: WireRow; readonly insert?: WireRow; readonly modify?: WireRow; readonly delete?: null }
export type TableUpdates<R> = Readonly<Record<string, Readonly<Record<string, R>>>>;

/** The all-zero txn id: "no transaction seen yet" for monitor_cond_since. */
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
