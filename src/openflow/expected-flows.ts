import type { CookieFilter } from './cookie-filter.js';
import type { Flow } from './flow.js';
import type { FlowChange } from './flow-driver.js';
import { expectedByWatchKey, foreignChange, watchKey, type FlowEvent } from './flow-events.js';

/** How long a change we sent can still explain a monitor update that disagrees with the flows we now want. */
export const SENT_GRACE_MS = 3_000;
/** At most this many sent changes are kept (a burst of passes): the oldest goes first. */
export const SENT_MAX = 32;

interface SentChange {
  readonly at: number;
  readonly add: readonly Flow[];
  readonly del: readonly Flow[];
  /** By what a monitor update shows (table + match); built only when an update is judged. */
  keyed?: { readonly add: ReadonlyMap<string, Flow>; readonly del: ReadonlySet<string> };
}

/**
 * The flows we want on a bridge, and the changes we sent it in the last few
 * seconds. A monitor reports a change after the fact (the `ovs-ofctl monitor`
 * child through a pipe, under load hundreds of milliseconds late), so the
 * update of a change sent one or two syncs ago can arrive after the wanted set
 * moved on: judged against the new set alone, our own earlier rewrite of a
 * flood flow, or our deletion of a flow wanted again since, looks like someone
 * else's. An update that disagrees with the wanted set is ours only if a change
 * we sent within `SENT_GRACE_MS` did exactly that: deleted that flow, or wrote
 * it with those actions and that cookie. Anything else is foreign.
 */
export class ExpectedFlows {
  private wanted: { readonly flows: readonly Flow[]; byKey?: ReadonlyMap<string, Flow> } | undefined;
  private sent: SentChange[] = [];

  constructor(private readonly ours: CookieFilter, private readonly now: () => number = Date.now) {}

  /** The flows wanted from now on (set before their change is sent, so our own updates agree with what is held here). */
  expect(flows: readonly Flow[]): void {
    this.wanted = { flows };
  }

  /** A change about to be sent (flows added or rewritten, flows deleted). */
  sending(change: FlowChange): void {
    const t = this.now();
    this.prune(t);
    this.sent.push({ at: t, add: change.add, del: change.del });
    if (this.sent.length > SENT_MAX) this.sent.shift();
  }

  /** Drops the sent changes (before a heap collection; at worst a late update of ours then costs one repair pass). */
  forgetSent(): void {
    this.sent = [];
  }

  /** Sent changes still held (for tests). */
  get sentCount(): number {
    this.prune(this.now());
    return this.sent.length;
  }

  /**
   * Why `ev` is someone else's change to our flows ('deleted', 'modified', 'added'), or undefined when
   * it agrees with the flows we want, a change we just sent explains it, it is none of our flows, or nothing was sent yet.
   */
  judge(ev: FlowEvent): ReturnType<typeof foreignChange> {
    if (!this.wanted) return undefined;
    const verdict = foreignChange(ev, (this.wanted.byKey ??= expectedByWatchKey(this.wanted.flows)), this.ours);
    if (verdict === undefined) return undefined;
    this.prune(this.now());
    const key = watchKey(ev.table, ev.match);
    const explained = this.sent.some((s) => {
      const k = (s.keyed ??= { add: expectedByWatchKey(s.add), del: new Set(expectedByWatchKey(s.del).keys()) });
      if (ev.kind === 'DELETED') return k.del.has(key);
      const f = k.add.get(key);
      return f !== undefined && f.cookie === ev.cookie && f.actions.trim() === ev.actions;
    });
    return explained ? undefined : verdict;
  }

  private prune(t: number): void {
    let i = 0;
    while (i < this.sent.length && t - this.sent[i]!.at > SENT_GRACE_MS) i++;
    if (i > 0) this.sent = this.sent.slice(i);
  }
}
