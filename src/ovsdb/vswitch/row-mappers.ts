import type { Atom, Row, Value } from '../data/row-types.js';
import type { BridgeRow, InterfaceRow, OpenVSwitchRow, PortRow } from './vswitch-rows.js';

// Decoded rows are already shaped by the schema; these only narrow the types.

function str(v: Value): string {
  return typeof v === 'string' ? v : v === undefined ? '' : String(v);
}
function optStr(v: Value): string | undefined {
  return v === undefined ? undefined : str(v);
}
function num(v: Value): number {
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0;
}
function optNum(v: Value): number | undefined {
  return v === undefined ? undefined : num(v);
}
function strs(v: Value): readonly string[] {
  return Array.isArray(v) ? (v as readonly Atom[]).map(String) : [];
}
function strMap(v: Value): Readonly<Record<string, string>> {
  return (v ?? {}) as Readonly<Record<string, string>>;
}
function numMap(v: Value): Readonly<Record<string, number>> {
  const rec = (v ?? {}) as Readonly<Record<string, Atom>>;
  for (const x of Object.values(rec)) if (typeof x !== 'number') return Object.fromEntries(Object.entries(rec).map(([k, y]) => [k, Number(y)]));
  return rec as Readonly<Record<string, number>>;
}

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
