import { map, tap, type Observable } from 'rxjs';
import type { AgentConfig } from '../../config/types.js';
import type { Logger } from '../../observe/logger.js';
import type { Metrics } from '../../observe/metrics.js';
import { flowLoss$ } from '../../openflow/index.js';
import type { AgentEvent } from '../pass-input.js';

/** ovs-vswitchd restarted (its flow table is empty): the flow state is forgotten and a full pass replays it. */
export function flowLossTriggers$(config: AgentConfig, logger: Logger, metrics: Metrics, invalidateFlows: () => void): Observable<AgentEvent> {
  return flowLoss$({ ovsRundir: config.ovsRundir, bridge: config.bridge, logger }).pipe(
    tap(() => {
      metrics.flowReplays.inc();
      invalidateFlows();
    }),
    map((): AgentEvent => ({ kind: 'trigger', trigger: { reason: 'flows-lost', full: true } })),
  );
}
