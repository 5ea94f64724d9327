import { ignoreElements, map, merge, tap, type Observable } from 'rxjs';
import type { OvsdbClient } from '../../ovsdb/index.js';
import type { Metrics } from '../../observe/metrics.js';
import type { AgentEvent } from '../pass-input.js';

/** The OVSDB connection: its state in metrics (and `onConnected`), and a full pass after every reconnect. */
export function ovsdbLink$(client: Pick<OvsdbClient, 'connected$' | 'reconnects$'>, metrics: Metrics, onConnected: (connected: boolean) => void): Observable<AgentEvent> {
  const connected$ = client.connected$.pipe(
    tap((c) => {
      onConnected(c);
      metrics.ovsdbConnected.set(c ? 1 : 0);
    }),
    ignoreElements(),
  );
  const reconnects$ = client.reconnects$.pipe(
    tap(() => metrics.ovsdbReconnects.inc()),
    map((): AgentEvent => ({ kind: 'trigger', trigger: { reason: 'ovsdb', full: true } })),
  );
  return merge(connected$, reconnects$);
}
