// What the sources tell the agent, and the one pure fold that turns it into the input of the next pass.
import { PersistentMap } from '../ovsdb/index.js';
import type { TenantSet } from '../manifests/types.js';
import { namespaceKey, type NamespaceEvent, type NamespaceInfo } from '../netns/types.js';
import { joinWorkload, type RuntimeView } from '../workloads/join.js';
import type { WorkloadJoin } from '../workloads/types.js';

/** Why a pass runs. `full` also re-reads the kernel's links and dumps the flows. */
export interface Trigger {
  readonly reason: 'start' | 'namespace' | 'tenants' | 'ovsdb' | 'resync' | 'flows-lost' | 'flows-changed' | 'retry' | 'workloads';
  readonly full?: boolean;
}

/** What one pass works from: a value, never changed under it (the sources keep folding into the next one). */
export interface PassInput {
  /** The namespaces the source admitted, by key. */
  readonly namespaces: ReadonlyMap<string, NamespaceInfo>;
  /** The tenant set in force (the manifest source's latest). */
  readonly tenants: TenantSet;
  /** Keys removed (and maybe re-created) since the last pass that went through, as last seen: replugged. */
  readonly stale: ReadonlyMap<string, NamespaceInfo>;
  /** The container runtimes' metadata (src/workloads), one view per configured runtime. */
  readonly runtimes: readonly RuntimeView[];
}

/** One event of a source, or of the pass loop itself (`taken`, `restored`, its own triggers). */
export type AgentEvent =
  | { readonly kind: 'namespace'; readonly event: NamespaceEvent }
  | { readonly kind: 'tenants'; readonly set: TenantSet }
  | { readonly kind: 'runtimes'; readonly views: readonly RuntimeView[] }
  /** Nothing to fold, only a pass to run (OVSDB changes, timers, flow loss, retries). */
  | { readonly kind: 'trigger'; readonly trigger: Trigger }
  /** A pass took the input: its stale keys are that pass's now. */
  | { readonly kind: 'taken' }
  /** That pass failed: its stale keys are the next pass's again. */
  | { readonly kind: 'restored'; readonly stale: ReadonlyMap<string, NamespaceInfo> };

export const EMPTY_PASS_INPUT: PassInput = {
  namespaces: PersistentMap.empty(),
  tenants: { tenants: new Map(), problems: [] },
  stale: PersistentMap.empty(),
  runtimes: [],
};

/**
 * The fold (pure): the next input after one event. Namespaces and stale keys
 * are persistent maps, so an event costs O(log n), not a copy: a burst of
 * 10,000 namespaces stays linear.
 */
export function foldPassInput(input: PassInput, ev: AgentEvent): PassInput {
  switch (ev.kind) {
    case 'namespace': {
      const key = namespaceKey(ev.event.ns);
      const namespaces = persistent(input.namespaces);
      if (ev.event.type === 'added') return { ...input, namespaces: namespaces.set(key, ev.event.ns) };
      return { ...input, namespaces: namespaces.delete(key), stale: persistent(input.stale).set(key, ev.event.ns) };
    }
    case 'tenants':
      return { ...input, tenants: ev.set };
    case 'runtimes':
      return { ...input, runtimes: ev.views };
    case 'taken':
      return input.stale.size === 0 ? input : { ...input, stale: PersistentMap.empty() };
    case 'restored': {
      let stale = persistent(input.stale);
      for (const [key, ns] of ev.stale) if (!stale.has(key)) stale = stale.set(key, ns);
      return { ...input, stale };
    }
    case 'trigger':
      return input;
  }
}

/** The pass an event asks for, if any (the pass loop's own bookkeeping asks for none). */
export function triggerOf(ev: AgentEvent): Trigger | undefined {
  switch (ev.kind) {
    case 'namespace':
      return { reason: 'namespace' };
    case 'tenants':
      return { reason: 'tenants' };
    case 'runtimes':
      return { reason: 'workloads' };
    case 'trigger':
      return ev.trigger;
    case 'taken':
    case 'restored':
      return undefined;
  }
}

/** The fold's state for `scan`: the input now, and the pass the last event asked for. */
export interface Folded {
  readonly input: PassInput;
  readonly trigger: Trigger | undefined;
}

export const FOLDED_START: Folded = { input: EMPTY_PASS_INPUT, trigger: undefined };

/** One `scan` step: the event folded into the input, and its trigger. */
export function foldEvent(state: Folded, ev: AgentEvent): Folded {
  return { input: foldPassInput(state.input, ev), trigger: triggerOf(ev) };
}

/** Whose namespace a file is, by the runtimes' metadata in this input (paths as the runtimes spell them). */
export function workloadJoin(input: Pick<PassInput, 'runtimes'>, normalise: (path: string) => string = (p) => p): (ns: { readonly path: string }) => WorkloadJoin {
  const views = input.runtimes;
  if (views.length === 0) return () => ({ kind: 'none' });
  return (ns) => joinWorkload(normalise(ns.path), views);
}

/**
 * Runs one pass on the input now: the pass takes its stale keys, and gives
 * them back if it fails (the next pass must replug them too).
 */
export async function passOnInput<T>(current: () => PassInput, dispatch: (ev: AgentEvent) => void, pass: (input: PassInput) => Promise<T>): Promise<T> {
  const input = current();
  dispatch({ kind: 'taken' });
  try {
    return await pass(input);
  } catch (err) {
    if (input.stale.size > 0) dispatch({ kind: 'restored', stale: input.stale });
    throw err;
  }
}

function persistent<V>(m: ReadonlyMap<string, V>): PersistentMap<V> {
  return m instanceof PersistentMap ? (m as PersistentMap<V>) : PersistentMap.from(m);
}
