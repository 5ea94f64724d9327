import type { Flow } from './flow.js';
import { canonicalMatch } from './canonical-match.js';
import { registerMemo } from './bounded-memo.js';

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

/**
 * OpenFlow identity of a flow: table, priority and match (in canonical form). The same flows are keyed
 * again and again (the desired set every pass, the flows a dump reads back, the set last installed):
 * each key is worked out once and remembered by table, priority and match text (bounded), so keying a
 * flow seen before costs two number lookups and one lookup of a string whose hash is already known,
 * and every flow with that identity and spelling shares one key string.
 */
export function flowKey(f: Flow): string {
  const known = lookupKey(knownKeys, f);
  if (known !== undefined) return known;
  // Used a generation ago: carried over, not worked out again.
  const k = lookupKey(oldKeys, f) ?? `${f.table}|${f.priority}|${canonicalMatch(f.match)}`;
  if (knownKeyCount >= MAX_KNOWN_KEYS) turnKeys();
  let byPriority = knownKeys.get(f.table);
  if (byPriority === undefined) knownKeys.set(f.table, (byPriority = new Map()));
  let byMatch = byPriority.get(f.priority);
  if (byMatch === undefined) byPriority.set(f.priority, (byMatch = new Map()));
  byMatch.set(f.match, k);
  knownKeyCount++;
  return k;
}

type KeyIndex = Map<number, Map<number, Map<string, string>>>;

function lookupKey(index: KeyIndex, f: Flow): string | undefined {
  return index.get(f.table)?.get(f.priority)?.get(f.match);
}

/** Hard bound of a generation, whatever the callers do. */
const MAX_KNOWN_KEYS = 65_536;
/** A generation turns once it holds this many keys more than twice what the caller works on. */
const KEY_SLACK = 1_024;
let knownKeys: KeyIndex = new Map();
let oldKeys: KeyIndex = new Map();
let knownKeyCount = 0;
let oldKeyCount = 0;

/** Keys remembered now (both generations): for tests and the memory bench. */
export function rememberedFlowKeys(): number {
  return knownKeyCount + oldKeyCount;
}

/** The key memo as forgetMemos() sees it (held by this module for the process's life). */
const keyMemo = {
  clear(): void {
    knownKeys = new Map();
    oldKeys = new Map();
    knownKeyCount = 0;
    oldKeyCount = 0;
  },
};
registerMemo(keyMemo);

function turnKeys(): void {
  oldKeys = knownKeys;
  oldKeyCount = knownKeyCount;
  knownKeys = new Map();
  knownKeyCount = 0;
}

/**
 * Called with the number of flows a diff or a dedupe is about to key: the remembered keys stay in
 * proportion to the flows in use. Keys of flows gone (namespaces removed, each with its own MACs and
 * addresses) are dropped two turns later; keys still in use are carried into the new generation.
 */
function ageKeys(inUse: number): void {
  const bound = 2 * inUse + KEY_SLACK;
  if (knownKeyCount > bound || oldKeyCount > bound) turnKeys();
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
  ageKeys(desired.length);
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
  ageKeys(Math.max(desired.length, actual.length));
  // Each desired identity once (the first flow), by its position; an actual flow lands on the position it answers.
  const index = new Map<string, number>();
  const wanted: Flow[] = [];
  const duplicates: Flow[] = [];
  for (const f of desired) {
    const k = flowKey(f);
    if (index.has(k)) duplicates.push(f);
    else index.set(k, wanted.push(f) - 1);
  }
  const found: (Flow | undefined)[] = new Array<Flow | undefined>(wanted.length).fill(undefined);
  // Flows nobody wants, once per identity (the last one read), in the order first read.
  let stale: Map<string, Flow> | undefined;
  for (const f of actual) {
    const k = flowKey(f);
    const i = index.get(k);
    if (i !== undefined) found[i] = f;
    else (stale ??= new Map()).set(k, f);
  }
  const add: Flow[] = [];
  const modify: Flow[] = [];
  for (let i = 0; i < wanted.length; i++) {
    const f = wanted[i]!;
    const cur = found[i];
    if (cur === undefined) add.push(f);
    else if (!sameContent(f, cur)) modify.push(f);
  }
  const del = stale === undefined ? [] : [...stale.values()];
  return { add, modify, del, duplicates };
}
