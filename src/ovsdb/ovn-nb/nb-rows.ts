import { rowModel, type RowOf } from '../data/row-model.js';
import { optBool, str, strMap, strs } from '../data/narrow-values.js';

/** The OVN northbound database. */
export const OVN_NB_DB = 'OVN_Northbound';

const LOGICAL_SWITCH = rowModel({ name: str, ports: strs, other_config: strMap, external_ids: strMap });
const LOGICAL_SWITCH_PORT = rowModel({
  name: str, type: str, addresses: strs, port_security: strs, options: strMap, external_ids: strMap,
  /** Set by ovn-northd from the southbound Port_Binding: the chassis bound it and installed its flows. */
  up: optBool,
});

/** Logical_Switch, as far as the agent reads it. */
export type LogicalSwitchRow = RowOf<typeof LOGICAL_SWITCH>;
/** Logical_Switch_Port, as far as the agent reads it (`up`: the chassis bound it and installed its flows). */
export type LogicalSwitchPortRow = RowOf<typeof LOGICAL_SWITCH_PORT>;

export const toLogicalSwitchRow = LOGICAL_SWITCH.toRow;
export const toLogicalSwitchPortRow = LOGICAL_SWITCH_PORT.toRow;

/** Columns monitored per table: only what the typed rows need. */
export const NB_COLUMNS = { Logical_Switch: LOGICAL_SWITCH.columns, Logical_Switch_Port: LOGICAL_SWITCH_PORT.columns } as const;

export const NB_MAPPERS = { Logical_Switch: toLogicalSwitchRow, Logical_Switch_Port: toLogicalSwitchPortRow } as const;

/** One consistent view of the two tables, by _uuid. */
export interface NbSnapshot {
  readonly Logical_Switch: ReadonlyMap<string, LogicalSwitchRow>;
  readonly Logical_Switch_Port: ReadonlyMap<string, LogicalSwitchPortRow>;
}
