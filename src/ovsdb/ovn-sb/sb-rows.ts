import { rowModel, type RowOf } from '../data/row-model.js';
import type { Value } from '../data/row-types.js';
import { optBool, str, strMap, strs } from '../data/narrow-values.js';

/** The OVN southbound database. */
export const OVN_SB_DB = 'OVN_Southbound';

/** An optional reference column: the uuid it holds, if any. */
function optRef(v: Value): string | undefined {
  return strs(v)[0] ?? (typeof v === 'string' ? v : undefined);
}

const CHASSIS = rowModel({ name: str, hostname: str, encaps: strs });
const ENCAP = rowModel({ type: str, ip: str, chassis_name: str });
const PORT_BINDING = rowModel({
  logical_port: str,
  /** The Chassis row's uuid that claimed the port (ovn-controller), if any. */
  chassis: optRef,
  /** ovn-controller installed the port's flows. */
  up: optBool,
  external_ids: strMap,
});

/** Chassis, as far as the agent reads it. */
export type ChassisRow = RowOf<typeof CHASSIS>;
/** Encap (a chassis' tunnel endpoint). */
export type EncapRow = RowOf<typeof ENCAP>;
/** Port_Binding, as far as the agent reads it (`chassis`: the uuid of the Chassis that claimed it; `up`: its flows are installed). */
export type PortBindingRow = RowOf<typeof PORT_BINDING>;

export const toChassisRow = CHASSIS.toRow;
export const toEncapRow = ENCAP.toRow;
export const toPortBindingRow = PORT_BINDING.toRow;

export const SB_COLUMNS = { Chassis: CHASSIS.columns, Encap: ENCAP.columns, Port_Binding: PORT_BINDING.columns } as const;

export const SB_MAPPERS = { Chassis: toChassisRow, Encap: toEncapRow, Port_Binding: toPortBindingRow } as const;

export interface SbSnapshot {
  readonly Chassis: ReadonlyMap<string, ChassisRow>;
  readonly Encap: ReadonlyMap<string, EncapRow>;
  readonly Port_Binding: ReadonlyMap<string, PortBindingRow>;
}
