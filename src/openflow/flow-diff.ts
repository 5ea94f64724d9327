import type { Flow } from './flow.js';
import { canonicalMatch } from './canonical-match.js';

/** What a switch needs to go from `actual` to `desired`. */
export interface FlowDiff {
  /** Flows the switch lacks. */
  readonly add: readonly Flow[];
  /** Flows whose match exists but whose actions or cookie differ (an add replaces them). */
  readonly modify: readonly Flow[];
  /** Our flows the switch has that are no longer desired. */
  readonly del: readonly Flow[];
  /** Desired flows dropped because an earlier one had the same table, priority and match. */
  readonly duplicates: readonly Flow[];
}

/** OpenFlow identity of a flow: table, priority and match (in canonical form). */
export function flowKey(f: Flow): string {
  return `${f.table}|${f.priority}|${canonicalMatch(f.match)}`;
}

function sameContent(a: Flow, b: Flow): boolean {
  return a.cookie === b.cookie && a.actions.trim() === b.actions.trim();
}

/**
 * The flows a diff would leave on the switch: `desired` without later
 * duplicates (same table, priority and match), the first one kept, as
 * diffFlows() keeps it. A cache of "what the switch holds" must be this,
 * not `desired`, or a later diff reads the duplicate that was never sent.
 */
export function uniqueFlows(desired: readonly Flow[]): Flow[] {
  const seen = new Set<string>();
  return desired.filter((f) => {
    const k = flowKey(f);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Level-triggered diff: linear in flows, and empty when the switch already holds `desired`. */
export function diffFlows(desired: readonly Flow[], actual: readonly Flow[]): FlowDiff {
  const want = new Map<string, Flow>();
  const duplicates: Flow[] = [];
  for (const f of desired) {
    const k = flowKey(f);
    if (want.has(k)) duplicates.push(f);
    else want.set(k, f);
  }
  const have = new Map<string, Flow>();
  for (const f of actual) have.set(flowKey(f), f);
  const add: Flow[] = [];
  const modify: Flow[] = [];
  const del: Flow[] = [];
  for (const [k, f] of want) {
    const cur = have.get(k);
    if (cur === undefined) add.push(f);
    else if (!sameContent(f, cur)) modify.push(f);
  }
  for (const [k, f] of have) if (!want.has(k)) del.push(f);
  return { add, modify, del, duplicates };
}
