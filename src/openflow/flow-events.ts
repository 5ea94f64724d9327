import { canonicalMatch, splitTopLevel } from './canonical-match.js';
import { cookieMatches, type CookieFilter } from './cookie-filter.js';
import type { Flow } from './flow.js';
import { flowKey } from './flow-diff.js';

/**
 * One change to a bridge's flow table as `ovs-ofctl monitor BRIDGE watch:`
 * prints it (an OpenFlow flow monitor update). The update carries table,
 * cookie, match and actions, not the priority.
 */
export interface FlowEvent {
  readonly kind: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly table: number;
  readonly cookie: bigint;
  readonly match: string;
  readonly actions: string;
}

/** The switch dropped updates (the monitor fell behind): what it holds is unknown until re-read. */
export interface FlowEventsLost {
  readonly kind: 'LOST';
}

const EVENT = /^\s*event=(ADDED|MODIFIED|DELETED)\s/;

/**
 * Reads one line of `ovs-ofctl monitor ... watch:` output. Returns undefined
 * for headers and anything else that is not a flow update; a pause or
 * resume of the monitor (the switch's flow control dropped updates) is LOST.
 */
export function parseMonitorLine(line: string): FlowEvent | FlowEventsLost | undefined {
  // Nicira monitors print NXT_FLOW_MONITOR_PAUSED; OpenFlow 1.4+ ones print `event=PAUSED` and, once caught up, `event=RESUMED`.
  if (/FLOW_MONITOR_PAUSED|^\s*event=(PAUSED|RESUMED)\b/.test(line)) return { kind: 'LOST' };
  const m = EVENT.exec(line);
  if (!m) return undefined;
  // A flow that drops prints no actions at all.
  const at = line.indexOf(' actions=');
  const head = (at < 0 ? line.slice(m[0].length) : line.slice(m[0].length, at)).trim();
  const actions = at < 0 ? 'drop' : line.slice(at + ' actions='.length).trim();
  let table = 0;
  let cookie = 0n;
  const rest: string[] = [];
  for (const word of head.split(/\s+/).filter(Boolean)) {
    if (word.startsWith('table=')) table = Number(word.slice('table='.length));
    else if (word.startsWith('cookie=')) cookie = BigInt(word.slice('cookie='.length));
    else if (word.startsWith('reason=') || word.startsWith('idle_timeout=') || word.startsWith('hard_timeout=')) continue;
    else rest.push(word);
  }
  if (!Number.isInteger(table)) return undefined;
  const match = rest.join(',');
  return { kind: m[1] as FlowEvent['kind'], table, cookie, match: splitTopLevel(match).join(','), actions };
}

/** Identity of a flow as a monitor update can see it: table and match (our pipeline never reuses a match across priorities). */
export function watchKey(table: number, match: string): string {
  return `${table}|${canonicalMatch(match)}`;
}

/**
 * watchKey of a flow we hold, cut out of its flowKey (`table|priority|canonical match`): the flow
 * diff keys the same flows every pass and remembers their keys for as many flows as it works on, where
 * working the canonical match out again (its memo is smaller than a 1000-port pipeline) would cost every
 * pass as much as the diff itself.
 */
function watchKeyOf(f: Flow): string {
  const k = flowKey(f);
  const table = k.indexOf('|');
  return k.slice(0, table) + k.slice(k.indexOf('|', table + 1));
}

/** The flows we want on the switch, keyed as monitor updates can be matched against. */
export function expectedByWatchKey(flows: readonly Flow[]): Map<string, Flow> {
  const m = new Map<string, Flow>();
  for (const f of flows) {
    const k = watchKeyOf(f);
    if (!m.has(k)) m.set(k, f);
  }
  return m;
}

/**
 * Whether an update shows someone else changing our flows, judged against
 * the flows we want (set before each of our own changes is sent, so our own
 * updates always agree with it): one of them deleted, its actions or cookie
 * rewritten, or a flow posing with our cookie that we do not want. Only
 * updates whose cookie is inside `ours` are judged (every flow we install
 * is, and an update shows the flow's cookie); a flow someone re-cookied is
 * left to the periodic resync. Returns why, or undefined when the update is
 * our own change or none of our business.
 */
export function foreignChange(ev: FlowEvent, expected: ReadonlyMap<string, Flow>, ours: CookieFilter): 'deleted' | 'modified' | 'added' | undefined {
  if (!cookieMatches(ours, ev.cookie)) return undefined;
  const want = expected.get(watchKey(ev.table, ev.match));
  if (ev.kind === 'DELETED') return want !== undefined ? 'deleted' : undefined;
  if (want === undefined) return 'added';
  return sameActions(want, ev) ? undefined : 'modified';
}

function sameActions(want: Flow, ev: FlowEvent): boolean {
  return want.cookie === ev.cookie && want.actions.trim() === ev.actions;
}
