import type { Flow } from './flow.js';

/** A batch of flow changes applied atomically. `add` also replaces a flow with the same match. */
export interface FlowChange {
  readonly add: readonly Flow[];
  readonly del: readonly Flow[];
}

/**
 * How flows reach the switch. Today ovs-ofctl (OfctlDriver); a native
 * OpenFlow codec can replace it behind this interface.
 */
export interface FlowDriver {
  /** Our flows only (cookie owner bits), in OVS's printed form. */
  dump(bridge: string): Promise<Flow[]>;
  /** One atomic bundle, one process; nothing is applied if any part fails. */
  apply(bridge: string, change: FlowChange): Promise<void>;
}
