import { rowModel } from '../data/row-model.js';
import { num, numMap, optNum, optStr, str, strMap, strs } from '../data/narrow-values.js';

/** The Open_vSwitch tables the agent reads, as typed row models (columns monitored and mappers in one list). */
export const OPEN_VSWITCH = rowModel({ bridges: strs, next_cfg: num, cur_cfg: num, external_ids: strMap });
export const BRIDGE = rowModel({
  name: str, ports: strs, datapath_type: str, fail_mode: optStr, protocols: strs, external_ids: strMap, other_config: strMap,
});
export const PORT = rowModel({ name: str, interfaces: strs, external_ids: strMap });
export const INTERFACE = rowModel({
  name: str, type: str, ofport: optNum, ofport_request: optNum, mac_in_use: optStr, external_ids: strMap, statistics: numMap,
  error: optStr, link_state: optStr,
});

export const toOpenVSwitchRow = OPEN_VSWITCH.toRow;
export const toBridgeRow = BRIDGE.toRow;
export const toPortRow = PORT.toRow;
export const toInterfaceRow = INTERFACE.toRow;
