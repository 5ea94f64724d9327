import type { RowOf } from '../data/row-model.js';
import { BRIDGE, INTERFACE, OPEN_VSWITCH, PORT } from './row-mappers.js';

/**
 * Typed rows of the Open_vSwitch database tables the agent reads, decoded to
 * plain JS with schema defaults filled in.
 */
export type OpenVSwitchRow = RowOf<typeof OPEN_VSWITCH>;
export type BridgeRow = RowOf<typeof BRIDGE>;
export type PortRow = RowOf<typeof PORT>;
export type InterfaceRow = RowOf<typeof INTERFACE>;

/** One consistent view of the four tables; maps are keyed by _uuid. */
export interface VswitchSnapshot {
  readonly openVSwitch: OpenVSwitchRow | undefined;
  readonly bridges: ReadonlyMap<string, BridgeRow>;
  readonly ports: ReadonlyMap<string, PortRow>;
  readonly interfaces: ReadonlyMap<string, InterfaceRow>;
}

/** Columns the replica monitors, per table (everything its typed rows need). */
export const VSWITCH_COLUMNS = {
  Open_vSwitch: OPEN_VSWITCH.columns,
  Bridge: BRIDGE.columns,
  Port: PORT.columns,
  Interface: INTERFACE.columns,
} as const;
