import { catchError, type Observable } from 'rxjs';
import { flowWatch$, type FlowWatchOptions } from '../flow-watch.js';
import type { FlowEvent, FlowEventsLost } from '../flow-events.js';
import { nativeFlowWatch$ } from './native-flow-watch.js';
import type { FlowDriverMode } from './select-flow-driver.js';

/**
 * The flow monitor for a `flowDriver` mode: native is the in-process
 * OpenFlow monitor, ofctl the `ovs-ofctl monitor` child, auto the native one
 * unless the switch refuses it before it ever ran, then the child (said once).
 */
export function selectFlowWatch$(mode: FlowDriverMode, opts: FlowWatchOptions): Observable<FlowEvent | FlowEventsLost> {
  if (mode === 'ofctl') return flowWatch$(opts);
  const native$ = nativeFlowWatch$({
    ovsRundir: opts.ovsRundir, bridge: opts.bridge, failIfUnsupported: mode === 'auto',
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  if (mode === 'native') return native$;
  return native$.pipe(
    catchError((err: unknown) => {
      opts.logger?.warn({ bridge: opts.bridge, err: err instanceof Error ? err.message : String(err) }, 'native flow monitor unavailable: falling back to ovs-ofctl monitor');
      return flowWatch$(opts);
    }),
  );
}
