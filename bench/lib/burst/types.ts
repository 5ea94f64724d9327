/**
 * nsvswitch: its default (in-process netlink when the addon loads), the bench creating the namespaces while it watches;
 * nsvswitch-process: the same agent with `--plumbing process`; nsvswitch-bind: the default agent, the namespaces made
 * beforehand (untimed) and made to appear by one bind mount each, as `ip netns add` and container runtimes do, so
 * they exist before the clock starts as they do for the peer and the floor.
 */
export type ContenderName = 'peer' | 'floor' | 'nsvswitch' | 'nsvswitch-process' | 'nsvswitch-bind';
export const CONTENDERS: readonly ContenderName[] = ['peer', 'floor', 'nsvswitch', 'nsvswitch-process', 'nsvswitch-bind'];

/** What every contender gets: the burst size and its budget. */
export interface BurstParams {
  /** Namespaces in the burst. */
  readonly n: number;
  /** Whole-contender budget (setup, timed part, checks); past it the contender fails, never hangs. */
  readonly timeoutMs: number;
  /** The netdev bridge the ports go on. */
  readonly bridge: string;
  readonly log: (msg: string) => void;
}

export interface ContenderOk {
  readonly contender: ContenderName;
  readonly status: 'ok';
  readonly n: number;
  /** Namespaces actually plugged in the timed run (< n when sampled and extrapolated). */
  readonly measuredN: number;
  readonly extrapolated: boolean;
  /** Start to every namespace plugged, ms (extrapolated to n when sampled). */
  readonly totalMs: number;
  readonly perNsMs: number;
  /** For nsvswitch: namespace creation alone (the agent reacts to creation, so it is inside totalMs). */
  readonly creationMs?: number;
  /** totalMs - creationMs: the agent's time beyond creating the namespaces. */
  readonly beyondCreationMs?: number;
  /** Named stage completion times, ms after start. */
  readonly stages: Readonly<Record<string, number>>;
  /** Per-namespace durations when the contender works one at a time (the peer). */
  readonly perItem?: { readonly p50: number; readonly p95: number; readonly p99: number; readonly firstTenthMean: number; readonly lastTenthMean: number };
  /** Total of every round, in run order, when the contender ran more than once (this outcome is the median round). */
  readonly roundsTotalMs?: readonly number[];
  /** For nsvswitch: where its time went, from its own metrics (see agentBreakdown). */
  readonly agentMetrics?: Readonly<Record<string, number>>;
  /** Spot-checked namespaces and the number of ports found attached (ofport > 0) on the bridge. */
  readonly verified: { readonly spotChecked: number; readonly portsAttached: number };
  readonly notes: readonly string[];
}

export interface ContenderFailed {
  readonly contender: ContenderName;
  readonly status: 'failed';
  readonly n: number;
  readonly reason: string;
}

export type ContenderOutcome = ContenderOk | ContenderFailed;

/** One contender's implementation. */
export type Contender = (params: BurstParams) => Promise<ContenderOk>;

/** A broken contender must not look fast: its outcome carries the problems found after timing. */
export class VerificationError extends Error {
  constructor(readonly contender: ContenderName, readonly problems: readonly string[]) {
    super(`${contender}: result check failed: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}`);
    this.name = 'VerificationError';
  }
}
