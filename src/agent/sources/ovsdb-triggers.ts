import { auditTime, filter, map, type Observable } from 'rxjs';
import { ownedStateSignature } from '../../core/owned-ports.js';
import type { VswitchSnapshot } from '../../ovsdb/index.js';
import type { AgentEvent } from '../pass-input.js';

/** Replica changes closer together than this are looked at once. */
export const OVSDB_CHANGE_AUDIT_MS = 10;

/**
 * The state of our ports that a pass depends on, as the last pass left it:
 * changes the agent made itself (seen before their replies, so already in the
 * snapshot at the end of the pass that made them) do not trigger another pass.
 */
export class OwnedStateGate {
  private last = '';

  constructor(private readonly bridge: string) {}

  /** True (and remembered) when the snapshot differs from the last one seen. */
  changed(snap: VswitchSnapshot): boolean {
    const sig = ownedStateSignature(snap, this.bridge);
    if (sig === this.last) return false;
    this.last = sig;
    return true;
  }

  /** The snapshot a pass ended with. */
  settle(snap: VswitchSnapshot): void {
    this.last = ownedStateSignature(snap, this.bridge);
  }
}

/** OVSDB: a pass for changes that matter to one (someone else's), not for the agent's own writes. */
export function ovsdbTriggers$(changes$: Observable<VswitchSnapshot>, gate: OwnedStateGate): Observable<AgentEvent> {
  return changes$.pipe(
    auditTime(OVSDB_CHANGE_AUDIT_MS),
    filter((snap) => gate.changed(snap)),
    map((): AgentEvent => ({ kind: 'trigger', trigger: { reason: 'ovsdb' } })),
  );
}
