import { map, timer, type Observable } from 'rxjs';
import type { AgentEvent } from '../pass-input.js';

/** The periodic full pass: a missed event, or a change no source reports, heals by the next one. */
export function resyncTriggers$(intervalMs: number): Observable<AgentEvent> {
  return timer(intervalMs, intervalMs).pipe(map((): AgentEvent => ({ kind: 'trigger', trigger: { reason: 'resync', full: true } })));
}
