import { auditTime, filter, map, type Observable } from 'rxjs';
import { ownedState, sameOwnedState, type OwnedState } from '../../core/owned-ports.js';
import type { VswitchSnapshot } from '../../ovsdb/index.js';
import type { AgentEvent } from '../pass-input.js';

/** Replica changes closer together than this are looked at once. */
export const OVSDB_CHANGE_AUDIT_MS = 10;

/**
 * The state of our ports that a pass depends on, as the last pass left it:
 * changes the agent made itself (seen before their replies, so already in the
 * snapshot at the end of the pass that made them) do not trigger another pass.
 * Changes seen while a pass runs (mostly its own writes and ovs-vswitchd's
 * answers to them) are held until it ends, and then ask for a pass only if
 * that pass did not leave the state settled (see Reconciler.settledOn).
 */
export class OwnedStateGate {
  private last: OwnedState = [];
  private inPass = false;
  /** Some change was seen during the pass in flight. */
  private held = false;

  constructor(private readonly bridge: string) {}

  /** True (and remembered) when the snapshot differs from the last one seen, and no pass is running to judge it. */
  changed(snap: VswitchSnapshot): boolean {
    const state = ownedState(snap, this.bridge);
    if (sameOwnedState(state, this.last)) return false;
    this.last = state;
    if (this.inPass) {
      this.held = true;
      return false;
    }
    return true;
  }

  /** A pass begins: changes from now on are held for its end. */
  begin(): void {
    this.inPass = true;
    this.held = false;
  }

  /**
   * The snapshot a pass ended with, and whether the pass left it settled (a pass on the same input would do
   * nothing). True when changes were seen during the pass and it did not: they need a pass of their own.
   */
  settle(snap: VswitchSnapshot, settled = false): boolean {
    this.last = ownedState(snap, this.bridge);
    const held = this.held;
    this.inPass = false;
    this.held = false;
    return held && !settled;
  }

  /** The pass failed: true when changes were seen during it (they ask for a pass, as without a pass in flight). */
  abort(): boolean {
    const held = this.held;
    this.inPass = false;
    this.held = false;
    return held;
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
