import { formatMs, formatRatio, ratio } from '../format.js';
import { summarize } from '../stats.js';
import type { Table } from '../table.js';

/** The routes to ovn-installed the bench pairs, in the order of round 0. */
export const OVN_CONTENDERS = ['nsvswitch', 'scripted', 'floor-interface', 'floor-lsp'] as const;
export type OvnContender = (typeof OVN_CONTENDERS)[number];

/** What one contender measured in one round. */
export interface OvnPhase {
  readonly contender: OvnContender;
  readonly round: number;
  readonly hosts: number;
  /** Workloads per host. */
  readonly n: number;
  /** Per workload: its clock start → the monitor update showing ovn-installed=true on its Interface (ms). */
  readonly latencyMs: readonly number[];
  /** First clock start on any host → the last ovn-installed (ms). */
  readonly totalMs: number;
  /**
   * nsvswitch only: the last namespace created → the last ovn-installed, the
   * agent's share beyond the bench's own namespace creation (the two overlap
   * and share the cores: an estimate, as in the burst bench).
   */
  readonly tailMs?: number;
  /** Northbound Raft log entries committed (every writer: the contender, ovn-northd) from the start until the log settled. */
  readonly nbEntries: number | undefined;
  readonly sbEntries: number | undefined;
  /** Contender-specific figures (the agent's own metrics, the driver's process count...). */
  readonly extra: Readonly<Record<string, number>>;
  /** What was checked after the clock stopped. */
  readonly verified: readonly string[];
}

/** Round r runs the contenders rotated by r, so none is always first (fresh) or last (after the others' leftovers). */
export function roundOrder<T>(contenders: readonly T[], round: number): T[] {
  const k = contenders.length === 0 ? 0 : round % contenders.length;
  return [...contenders.slice(k), ...contenders.slice(0, k)];
}

/** The round with the median burst total (the lower of an even count). */
export function medianPhase(phases: readonly OvnPhase[]): OvnPhase | undefined {
  const sorted = [...phases].sort((a, b) => a.totalMs - b.totalMs);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

export interface OvnRatios {
  /** Goal ≥ 10: the scripted route's burst total over nsvswitch's. */
  readonly scriptedOverNsvswitchTotal: number | undefined;
  readonly scriptedOverNsvswitchP50: number | undefined;
  /** Goal ≤ 1.5: nsvswitch's burst total over OVN's floor (ports whose LSP exists; the Interface appears). */
  readonly nsvswitchOverFloorInterfaceTotal: number | undefined;
  readonly nsvswitchOverFloorInterfaceP50: number | undefined;
  /** nsvswitch over the floor whose trigger is the LSPs' creation (the Interfaces exist): OVN's northbound path included. */
  readonly nsvswitchOverFloorLspTotal: number | undefined;
  readonly nsvswitchOverFloorLspP50: number | undefined;
  /** nsvswitch beyond namespace creation (tailMs) over the goal's floor's burst total. */
  readonly nsvswitchTailOverFloorInterfaceTotal: number | undefined;
}

const p50 = (p: OvnPhase | undefined): number | undefined => (p && p.latencyMs.length > 0 ? summarize(p.latencyMs).p50 : undefined);

export function ovnRatios(m: Partial<Record<OvnContender, OvnPhase>>): OvnRatios {
  const t = (c: OvnContender): number | undefined => m[c]?.totalMs;
  return {
    scriptedOverNsvswitchTotal: ratio(t('scripted'), t('nsvswitch')),
    scriptedOverNsvswitchP50: ratio(p50(m.scripted), p50(m.nsvswitch)),
    nsvswitchOverFloorInterfaceTotal: ratio(t('nsvswitch'), t('floor-interface')),
    nsvswitchOverFloorInterfaceP50: ratio(p50(m.nsvswitch), p50(m['floor-interface'])),
    nsvswitchOverFloorLspTotal: ratio(t('nsvswitch'), t('floor-lsp')),
    nsvswitchOverFloorLspP50: ratio(p50(m.nsvswitch), p50(m['floor-lsp'])),
    nsvswitchTailOverFloorInterfaceTotal: ratio(m.nsvswitch?.tailMs, t('floor-interface')),
  };
}

/** The same ratios within each round (the pairing the design asks for), one entry per round where both sides ran. */
export function ratiosPerRound(phases: readonly OvnPhase[]): OvnRatios[] {
  const rounds = [...new Set(phases.map((p) => p.round))].sort((a, b) => a - b);
  return rounds.map((r) => ovnRatios(Object.fromEntries(phases.filter((p) => p.round === r).map((p) => [p.contender, p]))));
}

const LABEL: Record<OvnContender, string> = {
  nsvswitch: 'nsvswitch (agent per host; from namespace creation)',
  scripted: 'scripted (OVN Docker driver steps; from namespace creation)',
  'floor-interface': 'floor: LSPs exist, Interfaces appear (one vsctl per host)',
  'floor-lsp': 'floor: Interfaces exist, LSPs appear (one nbctl)',
};

const perWorkload = (x: number | undefined, workloads: number): string => (x === undefined ? 'n/a' : (x / workloads).toFixed(1));

/** The main table: one row per contender, its median round. */
export function latencyTable(medians: Partial<Record<OvnContender, OvnPhase>>, all: readonly OvnPhase[], hosts: number, n: number): Table {
  const rows: string[][] = [];
  for (const c of OVN_CONTENDERS) {
    const p = medians[c];
    if (!p) continue;
    const s = summarize(p.latencyMs);
    const w = p.hosts * p.n;
    const rounds = all.filter((x) => x.contender === c).map((x) => formatMs(x.totalMs));
    rows.push([LABEL[c], formatMs(s.p50), formatMs(s.p95), formatMs(s.max), formatMs(p.totalMs), formatMs(p.totalMs / w), perWorkload(p.nbEntries, w), perWorkload(p.sbEntries, w), rounds.join(', ')]);
  }
  return {
    title: `OVN: ${hosts} hosts × ${n} workloads at once, start → ovn-installed (median round by burst total)`,
    headers: ['contender', 'p50', 'p95', 'max', 'burst total', 'total / workload', 'NB entries / workload', 'SB entries / workload', 'every round\'s total'],
    rows,
    notes: [
      'stop: the host\'s ovsdb-client monitor update showing external_ids:ovn-installed=true on the workload\'s Interface',
      'start, per workload: nsvswitch, its namespace file appearing (the bench\'s inotify watch; the files made by one loop per host, burst total from the loops\' spawn); scripted, just before its namespace file is created; floors, the spawn of the transaction that completes the ports (all of a host\'s at once)',
      'NB/SB entries: Raft log entries committed from the burst\'s start until the log settled, every writer counted (the contender, ovn-northd, ovn-controller on SB)',
    ],
  };
}

const verdict = (r: number | undefined, ok: (x: number) => boolean): string => (r === undefined ? 'n/a' : ok(r) ? 'met' : 'missed');

export function ratiosTable(r: OvnRatios, perRound: readonly OvnRatios[]): Table {
  const rounds = (pick: (x: OvnRatios) => number | undefined): string => perRound.map((x) => formatRatio(pick(x))).join(', ');
  return {
    title: 'OVN: ratios (median rounds; then each round paired on its own)',
    headers: ['measure', 'ratio', 'goal', 'verdict', 'per round'],
    rows: [
      ['scripted / nsvswitch, burst total', formatRatio(r.scriptedOverNsvswitchTotal), '≥ 10x', verdict(r.scriptedOverNsvswitchTotal, (x) => x >= 10), rounds((x) => x.scriptedOverNsvswitchTotal)],
      ['scripted / nsvswitch, per workload p50', formatRatio(r.scriptedOverNsvswitchP50), '', '', rounds((x) => x.scriptedOverNsvswitchP50)],
      ['nsvswitch / floor (Interface last), burst total', formatRatio(r.nsvswitchOverFloorInterfaceTotal), '≤ 1.5x', verdict(r.nsvswitchOverFloorInterfaceTotal, (x) => x <= 1.5), rounds((x) => x.nsvswitchOverFloorInterfaceTotal)],
      ['nsvswitch / floor (Interface last), per workload p50', formatRatio(r.nsvswitchOverFloorInterfaceP50), '', '', rounds((x) => x.nsvswitchOverFloorInterfaceP50)],
      ['nsvswitch beyond namespace creation / floor (Interface last), burst total', formatRatio(r.nsvswitchTailOverFloorInterfaceTotal), '', '', rounds((x) => x.nsvswitchTailOverFloorInterfaceTotal)],
      ['nsvswitch / floor (LSP last), burst total', formatRatio(r.nsvswitchOverFloorLspTotal), '', '', rounds((x) => x.nsvswitchOverFloorLspTotal)],
      ['nsvswitch / floor (LSP last), per workload p50', formatRatio(r.nsvswitchOverFloorLspP50), '', '', rounds((x) => x.nsvswitchOverFloorLspP50)],
    ],
    notes: ['the goal\'s floor is OVN\'s own: the time ovn-controller takes to install ports whose logical ports exist already, once their Interfaces appear'],
  };
}

/** Contender-specific figures of the median rounds (the agent's metrics, the driver's processes). */
export function extraTable(medians: Partial<Record<OvnContender, OvnPhase>>): Table {
  const rows: string[][] = [];
  for (const c of OVN_CONTENDERS) {
    for (const [k, v] of Object.entries(medians[c]?.extra ?? {})) rows.push([c, k, Number.isInteger(v) ? String(v) : v.toFixed(3)]);
  }
  return { title: 'OVN: per contender, median round', headers: ['contender', 'measure', 'value'], rows };
}
