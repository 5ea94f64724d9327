import { auditTime, filter, map, tap, type Observable } from 'rxjs';
import type { AgentConfig } from '../../config/types.js';
import type { Logger } from '../../observe/logger.js';
import type { Metrics } from '../../observe/metrics.js';
import type { FlowEvent, foreignChange } from '../../openflow/index.js';
import { selectFlowWatch$ } from '../../openflow/native/select-flow-watch.js';
import type { AgentEvent } from '../pass-input.js';

/** Foreign flow changes seen within this window become one repair pass and one log line. */
export const FOREIGN_FLOW_BATCH_MS = 50;

export interface ForeignFlowDeps {
  readonly config: AgentConfig;
  readonly ovsEnv: Readonly<Record<string, string>> | undefined;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Whether a flow-table update is someone else's change to our flows (the reconciler judges). */
  readonly judge: (ev: FlowEvent) => ReturnType<typeof foreignChange>;
}

/**
 * Someone else's change to our flows (ovs-ofctl del-flows by hand, another controller): seen by a
 * flow monitor and repaired at once by a full pass, instead of at the next periodic resync.
 */
export function foreignFlowTriggers$(d: ForeignFlowDeps): Observable<AgentEvent> {
  const { config, metrics } = d;
  const log = d.logger.child({ bridge: config.bridge });
  let seen: { counts: Record<string, number>; first: FlowEvent | undefined } = { counts: {}, first: undefined };
  return selectFlowWatch$(config.flowDriver, {
    ovsRundir: config.ovsRundir, bridge: config.bridge, env: { ...d.ovsEnv }, logger: d.logger,
    onSpawn: () => metrics.processSpawns.inc({ program: 'ovs-ofctl' }),
    ...(config.hostNetns ? { hostNetns: config.hostNetns } : {}),
  }).pipe(
    map((ev) => ({ ev, change: ev.kind === 'LOST' ? 'lost' : d.judge(ev) })),
    filter((x) => x.change !== undefined),
    tap(({ ev, change }) => {
      seen.counts[change!] = (seen.counts[change!] ?? 0) + 1;
      if (!seen.first && ev.kind !== 'LOST') seen.first = ev;
    }),
    // A burst of changes (del-flows on the whole bridge) becomes one pass and one log line.
    auditTime(FOREIGN_FLOW_BATCH_MS),
    tap(() => {
      const { counts, first } = seen;
      seen = { counts: {}, first: undefined };
      for (const [change, n] of Object.entries(counts)) if (change !== 'lost') metrics.flowForeignChanges.inc({ change }, n);
      if (first) log.warn({ changes: counts, table: first.table, match: first.match, cookie: `0x${first.cookie.toString(16)}` }, 'our flows were changed by someone else; repairing');
      else log.info('flow monitor restarted or paused: re-reading the flows');
    }),
    map((): AgentEvent => ({ kind: 'trigger', trigger: { reason: 'flows-changed', full: true } })),
  );
}
