import type { Row } from '../data/row-types.js';
import { num, numMap, optNum, optStr, str, strMap, strs } from '../data/narrow-values.js';
import type { BridgeRow, InterfaceRow, OpenVSwitchRow, PortRow } from './vswitch-rows.js';

export function toOpenVSwitchRow(r: Row): OpenVSwitchRow {
  return { _uuid: r._uuid, bridges: strs(r.bridges), next_cfg: num(r.next_cfg), cur_cfg: num(r.cur_cfg), external_ids: strMap(r.external_ids) };
}

export function toBridgeRow(r: Row): BridgeRow {
  return {
    _uuid: r._uuid, name: str(r.name), ports: strs(r.ports), datapath_type: str(r.datapath_type), fail_mode: optStr(r.fail_mode),
    protocols: strs(r.protocols), external_ids: strMap(r.external_ids), other_config: strMap(r.other_config),
  };
}

export function toPortRow(r: Row): PortRow {
  return { _uuid: r._uuid, name: str(r.name), interfaces: strs(r.interfaces), external_ids: strMap(r.external_ids) };
}

export function toInterfaceRow(r: Row): InterfaceRow {
  return {
    _uuid: r._uuid, name: str(r.name), type: str(r.type), ofport: optNum(r.ofport), ofport_request: optNum(r.ofport_request),
    mac_in_use: optStr(r.mac_in_use), external_ids: strMap(r.external_ids), statistics: numMap(r.statistics),
    error: optStr(r.error), link_state: optStr(r.link_state),
  };
}
