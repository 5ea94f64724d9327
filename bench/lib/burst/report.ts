import { formatMs, formatRatio, ratio } from '../format.js';
import type { Table } from '../table.js';
import type { ContenderName, ContenderOk, ContenderOutcome } from './types.js';

/** Every contender's outcome for one burst size, and the ratios the goals are stated in. */
export interface BurstRun {
  readonly n: number;
  readonly outcomes: Partial<Record<ContenderName, ContenderOutcome>>;
  readonly ratios: BurstRatios;
}

export interface BurstRatios {
  /** Goal >= 10: how many times faster nsvswitch is than ovs-docker. */
  readonly peerOverNsvswitch?: number;
  /** Goal <= 1.5: how close nsvswitch is to the hand-batched floor (creation included). */
  readonly nsvswitchOverFloor?: number;
  /** The same with namespace creation taken out of nsvswitch's time. */
  readonly nsvswitchBeyondCreationOverFloor?: number;
  readonly peerOverFloor?: number;
  /** How many times faster the default (in-process netlink) agent is than the same agent on the process path. */
  readonly processOverNative?: number;
  /** The same two goals with the namespaces in existence before the clock starts (bound into the watched directory). */
  readonly peerOverBound?: number;
  readonly boundOverFloor?: number;
}

function ok(o: ContenderOutcome | undefined): ContenderOk | undefined {
  return o?.status === 'ok' ? o : undefined;
}

/** Ratios of total times; a failed or missing contender leaves its ratios out. */
export function burstRatios(outcomes: Partial<Record<ContenderName, ContenderOutcome>>): BurstRatios {
  const peer = ok(outcomes.peer)?.totalMs;
  const floor = ok(outcomes.floor)?.totalMs;
  const nsvs = ok(outcomes.nsvswitch);
  const out: Record<string, number | undefined> = {
    peerOverNsvswitch: ratio(peer, nsvs?.totalMs),
    nsvswitchOverFloor: ratio(nsvs?.totalMs, floor),
    nsvswitchBeyondCreationOverFloor: ratio(nsvs?.beyondCreationMs, floor),
    peerOverFloor: ratio(peer, floor),
    processOverNative: ratio(ok(outcomes['nsvswitch-process'])?.totalMs, nsvs?.totalMs),
    peerOverBound: ratio(peer, ok(outcomes['nsvswitch-bind'])?.totalMs),
    boundOverFloor: ratio(ok(outcomes['nsvswitch-bind'])?.totalMs, floor),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as BurstRatios;
}

/** Longest failure reason a table cell shows (the JSON keeps all of it). */
const REASON_MAX_CHARS = 160;

function detail(o: ContenderOutcome): string {
  if (o.status === 'failed') return `failed: ${o.reason.length > REASON_MAX_CHARS ? `${o.reason.slice(0, REASON_MAX_CHARS - 3)}...` : o.reason}`;
  const parts: string[] = [];
  if (o.roundsTotalMs) parts.push(`median of ${o.roundsTotalMs.length} rounds (${o.roundsTotalMs.map((t) => formatMs(t)).join(', ')})`);
  if (o.extrapolated) parts.push(`${o.measuredN} measured, extrapolated to ${o.n}`);
  if (o.creationMs !== undefined) parts.push(`creation ${formatMs(o.creationMs)}, beyond creation ${formatMs(o.beyondCreationMs)}`);
  if (o.perItem) parts.push(`per add-port p50 ${formatMs(o.perItem.p50)}, first/last tenth ${formatMs(o.perItem.firstTenthMean)}/${formatMs(o.perItem.lastTenthMean)}`);
  parts.push(`checked ${o.verified.spotChecked}, ${o.verified.portsAttached} ports attached`);
  return parts.join('; ');
}

/** One row per (N, contender): total and per-namespace time, and what qualifies it. */
export function burstTimesTable(runs: readonly BurstRun[]): Table {
  const rows: string[][] = [];
  for (const r of runs) {
    for (const [name, o] of Object.entries(r.outcomes) as [ContenderName, ContenderOutcome][]) {
      const good = ok(o);
      rows.push([String(r.n), name, formatMs(good?.totalMs), formatMs(good?.perNsMs), detail(o)]);
    }
  }
  return { title: 'Burst: N namespaces, start to every port plugged', headers: ['N', 'contender', 'total', 'per namespace', 'detail'], rows };
}

/** The ratios the goals are stated in (>= 10x vs the peer, <= 1.5x of the floor). */
export function burstRatiosTable(runs: readonly BurstRun[]): Table {
  return {
    title: 'Burst ratios (same run, same machine)',
    headers: ['N', 'peer / nsvswitch (goal >= 10x)', 'nsvswitch / floor (goal <= 1.5x)', 'nsvswitch beyond creation / floor', 'peer / nsvswitch, namespaces bound', 'nsvswitch, namespaces bound / floor', 'peer / floor', 'nsvswitch --plumbing process / nsvswitch'],
    rows: runs.map((r) => [
      String(r.n),
      formatRatio(r.ratios.peerOverNsvswitch),
      formatRatio(r.ratios.nsvswitchOverFloor),
      formatRatio(r.ratios.nsvswitchBeyondCreationOverFloor),
      formatRatio(r.ratios.peerOverBound),
      formatRatio(r.ratios.boundOverFloor),
      formatRatio(r.ratios.peerOverFloor),
      formatRatio(r.ratios.processOverNative),
    ]),
  };
}

/** Where nsvswitch's time went at each N, from the agent's own metrics (rows: metric; columns: N). */
export function agentBreakdownTable(runs: readonly BurstRun[]): Table | undefined {
  const withMetrics = runs.flatMap((r) => (['nsvswitch', 'nsvswitch-process', 'nsvswitch-bind'] as const).map((c) => ({ n: r.n, c, m: ok(r.outcomes[c])?.agentMetrics }))).filter((x) => x.m !== undefined);
  if (withMetrics.length === 0) return undefined;
  const keys = [...new Set(withMetrics.flatMap((x) => Object.keys(x.m ?? {})))];
  const fmt = (v: number | undefined): string => (v === undefined ? 'n/a' : Number.isInteger(v) ? String(v) : v.toFixed(3));
  return {
    title: 'nsvswitch during the burst, from its metrics (after - before)',
    headers: ['metric', ...withMetrics.map((x) => `N=${x.n}${x.c === 'nsvswitch' ? '' : ` (${x.c})`}`)],
    rows: keys.map((k) => [k, ...withMetrics.map((x) => fmt(x.m?.[k]))]),
  };
}
