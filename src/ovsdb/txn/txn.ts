import { byUuid, mutation, namedUuid } from '../data/wire-values.js';
import { OvsdbMissingRowError } from '../errors/ovsdb-missing-row-error.js';
import type { Condition, Mutation, NamedUuid, Operation, OperationResult, WireRow } from '../wire/wire-types.js';

const UUID_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Builds the op list of one transaction. insert() hands back a named-uuid to
 * reference the new row from later ops; uuidOf() reads its real uuid from the
 * results. The other methods return the op's index in the results.
 */
export class Txn {
  private readonly list: Operation[] = [];
  private readonly insertIndex = new Map<string, number>();

  /** Inserts a row; returns ["named-uuid", name] for references within this transaction. */
  insert(table: string, row: WireRow, uuidName?: string): NamedUuid {
    const name = uuidName ?? `row${this.list.length}_${table.replace(/[^a-zA-Z0-9_]/g, '_')}`;
    if (!UUID_NAME_RE.test(name)) throw new TypeError(`uuid-name "${name}" for table ${table} must match ${UUID_NAME_RE.source}`);
    this.insertIndex.set(name, this.list.length);
    this.list.push({ op: 'insert', table, row, 'uuid-name': name });
    return namedUuid(name);
  }

  update(table: string, where: readonly Condition[], row: WireRow): number {
    return this.push({ op: 'update', table, where, row });
  }

  mutate(table: string, where: readonly Condition[], mutations: readonly Mutation[]): number {
    return this.push({ op: 'mutate', table, where, mutations });
  }

  delete(table: string, where: readonly Condition[]): number {
    return this.push({ op: 'delete', table, where });
  }

  select(table: string, where: readonly Condition[], columns?: readonly string[]): number {
    return this.push({ op: 'select', table, where, ...(columns ? { columns } : {}) });
  }

  /** Blocks (or fails with "timed out") until the rows matching where, projected on columns, do (until '==') or do not ('!=') equal rows. */
  wait(table: string, where: readonly Condition[], columns: readonly string[], until: '==' | '!=', rows: readonly WireRow[], timeoutMs?: number): number {
    return this.push({ op: 'wait', table, where, columns, until, rows, ...(timeoutMs !== undefined ? { timeout: timeoutMs } : {}) });
  }

  /** Shows up in the server's log (ovsdb-server --verbose) and in `ovsdb-tool show-log`. */
  comment(text: string): number {
    return this.push({ op: 'comment', comment: text });
  }

  abort(): number {
    return this.push({ op: 'abort' });
  }

  /** Fails the transaction with "not owner" unless this client holds the lock. */
  assertLock(lock: string): number {
    return this.push({ op: 'assert', lock });
  }

  /**
   * Increments Open_vSwitch.next_cfg (ovs-vswitchd reconfigures and then sets
   * cur_cfg to it) and selects the new value; returns the select's index.
   */
  bumpNextCfg(openVSwitchUuid: string): number {
    this.mutate('Open_vSwitch', [byUuid(openVSwitchUuid)], [mutation('next_cfg', '+=', 1)]);
    return this.select('Open_vSwitch', [byUuid(openVSwitchUuid)], ['next_cfg']);
  }

  ops(): Operation[] {
    return [...this.list];
  }

  get length(): number {
    return this.list.length;
  }

  /** The real uuid of a row this transaction inserted. */
  uuidOf(results: readonly OperationResult[], ref: NamedUuid): string {
    const i = this.insertIndex.get(ref[1]);
    const id = i === undefined ? undefined : results[i]?.uuid?.[1];
    if (id === undefined) throw new OvsdbMissingRowError('(insert)', `no inserted row named ${ref[1]} in the transaction results`);
    return id;
  }

  private push(op: Operation): number {
    this.list.push(op);
    return this.list.length - 1;
  }
}

/** Reads next_cfg from the result of bumpNextCfg's select. */
export function nextCfgFromResult(result: OperationResult | undefined): number {
  const v = result?.rows?.[0]?.next_cfg;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new OvsdbMissingRowError('Open_vSwitch', 'next_cfg not found in the transaction result (no Open_vSwitch row?)');
}
