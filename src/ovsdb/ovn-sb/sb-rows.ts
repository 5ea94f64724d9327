import type { Row } from '../data/row-types.js';
import { optBool, str, strMap, strs } from '../data/narrow-values.js';

/** The OVN southbound database. */
export const OVN_SB_DB = 'OVN_Southbound';

/** Chassis, as far as the agent reads it. */
export interface ChassisRow {
  readonly _uuid: string;
  readonly name: string;
  readonly hostname: string;
  readonly encaps: readonly string[];
}

/** Encap (a chassis' tunnel endpoint). */
export interface EncapRow {
  readonly _uuid: string;
  readonly type: string;
  readonly ip: string;
  readonly chassis_name: string;
}

/** Port_Binding, as far as the agent reads it. */
export interface PortBindingRow {
  readonly _uuid: string;
  readonly logical_port: string;
  /** The Chassis row's uuid that claimed the port (ovn-controller), if any. */
  readonly chassis: string | undefined;
  /** ovn-controller installed the port's flows. */
  readonly up: boolean | undefined;
  readonly external_ids: Readonly<Record<string, string>>;
}

export function toChassisRow(r: Row): ChassisRow {
  return { _uuid: r._uuid, name: str(r.name), hostname: str(r.hostname), encaps: strs(r.encaps) };
}

export function toEncapRow(r: Row): EncapRow {
  return { _uuid: r._uuid, type: str(r.type), ip: str(r.ip), chassis_name: str(r.chassis_name) };
}

export function toPortBindingRow(r: Row): PortBindingRow {
  const chassis = strs(r.chassis)[0] ?? (typeof r.chassis === 'string' ? r.chassis : undefined);
  return { _uuid: r._uuid, logical_port: str(r.logical_port), chassis, up: optBool(r.up), external_ids: strMap(r.external_ids) };
}

export const SB_COLUMNS = {
  Chassis: ['name', 'hostname', 'encaps'],
  Encap: ['type', 'ip', 'chassis_name'],
  Port_Binding: ['logical_port', 'chassis', 'up', 'external_ids'],
} as const satisfies Record<string, readonly string[]>;

export const SB_MAPPERS = { Chassis: toChassisRow, Encap: toEncapRow, Port_Binding: toPortBindingRow } as const;

export interface SbSnapshot {
  readonly Chassis: ReadonlyMap<string, ChassisRow>;
  readonly Encap: ReadonlyMap<string, EncapRow>;
  readonly Port_Binding: ReadonlyMap<string, PortBindingRow>;
}
