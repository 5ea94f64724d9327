import type { Row } from '../data/row-types.js';
import { optBool, str, strMap, strs } from '../data/narrow-values.js';

/** The OVN northbound database. */
export const OVN_NB_DB = 'OVN_Northbound';

/** Logical_Switch, as far as the agent reads it. */
export interface LogicalSwitchRow {
  readonly _uuid: string;
  readonly name: string;
  readonly ports: readonly string[];
  readonly other_config: Readonly<Record<string, string>>;
  readonly external_ids: Readonly<Record<string, string>>;
}

/** Logical_Switch_Port, as far as the agent reads it. */
export interface LogicalSwitchPortRow {
  readonly _uuid: string;
  readonly name: string;
  readonly type: string;
  readonly addresses: readonly string[];
  readonly port_security: readonly string[];
  readonly options: Readonly<Record<string, string>>;
  readonly external_ids: Readonly<Record<string, string>>;
  /** Set by ovn-northd from the southbound Port_Binding: the chassis bound it and installed its flows. */
  readonly up: boolean | undefined;
}

export function toLogicalSwitchRow(r: Row): LogicalSwitchRow {
  return { _uuid: r._uuid, name: str(r.name), ports: strs(r.ports), other_config: strMap(r.other_config), external_ids: strMap(r.external_ids) };
}

export function toLogicalSwitchPortRow(r: Row): LogicalSwitchPortRow {
  return {
    _uuid: r._uuid, name: str(r.name), type: str(r.type), addresses: strs(r.addresses), port_security: strs(r.port_security),
    options: strMap(r.options), external_ids: strMap(r.external_ids), up: optBool(r.up),
  };
}

/** Columns monitored per table: only what the typed rows need. */
export const NB_COLUMNS = {
  Logical_Switch: ['name', 'ports', 'other_config', 'external_ids'],
  Logical_Switch_Port: ['name', 'type', 'addresses', 'port_security', 'options', 'external_ids', 'up'],
} as const satisfies Record<string, readonly string[]>;

export const NB_MAPPERS = { Logical_Switch: toLogicalSwitchRow, Logical_Switch_Port: toLogicalSwitchPortRow } as const;

/** One consistent view of the two tables, by _uuid. */
export interface NbSnapshot {
  readonly Logical_Switch: ReadonlyMap<string, LogicalSwitchRow>;
  readonly Logical_Switch_Port: ReadonlyMap<string, LogicalSwitchPortRow>;
}
