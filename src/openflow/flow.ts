import { hex } from './cookie-filter.js';

/**
 * One OpenFlow flow in ovs-ofctl's text form. `match` is the comma-separated
 * match (may be empty); `actions` is written the way OVS prints it back, so
 * a dumped flow compares equal to the one we installed.
 */
export interface Flow {
  readonly table: number;
  readonly priority: number;
  readonly match: string;
  readonly actions: string;
  readonly cookie: bigint;
}

/** The flow as one `add-flows` line (without a leading command word). */
export function flowToText(f: Flow): string {
  const match = f.match ? `,${f.match}` : '';
  return `table=${f.table},priority=${f.priority},cookie=${hex(f.cookie)}${match},actions=${f.actions}`;
}

/**
 * Text that selects exactly this flow in a strict delete: same table,
 * priority and match, and only if the cookie is still ours (cookie/-1).
 */
export function flowToStrictDeleteText(f: Flow): string {
  const match = f.match ? `,${f.match}` : '';
  return `table=${f.table},priority=${f.priority},cookie=${hex(f.cookie)}/-1${match}`;
}
