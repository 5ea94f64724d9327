/**
 * Typed rows of the Open_vSwitch database tables the agent reads, decoded to
 * plain JS with schema defaults filled in.
 */
export interface OpenVSwitchRow {
  readonly _uuid: string;
  readonly bridges: readonly string[];
  readonly next_cfg: number;
  readonly cur_cfg: number;
  readonly external_ids: Readonly<Record<string, string>>;
}

export interface BridgeRow {
  readonly _uuid: string;
  readonly name: string;
  readonly ports: readonly string[];
  readonly datapath_type: string;
  readonly fail_mode: string | undefined;
  readonly protocols: readonly string[];
  readonly external_ids: Readonly<Record<string, string>>;
  readonly other_config: Readonly<Record<string, string>>;
}

export interface PortRow {
  readonly _uuid: string;
  readonly name: string;
  readonly interfaces: readonly string[];
  readonly external_ids: Readonly<Record<string, string>>;
}

export interface InterfaceRow {
  readonly _uuid: string;
  readonly name: string;
  readonly type: string;
  readonly ofport: number | undefined;
  readonly ofport_request: number | undefined;
  readonly mac_in_use: string | undefined;
  readonly external_ids: Readonly<Record<string, string>>;
  readonly statistics: Readonly<Record<string, number>>;
  readonly error: string | undefined;
  readonly link_state: string | undefined;
}

/** One consistent view of the four tables; maps are keyed by _uuid. */
export interface VswitchSnapshot {
  readonly openVSwitch: OpenVSwitchRow | undefined;
  readonly bridges: ReadonlyMap<string, BridgeRow>;
  readonly ports: ReadonlyMap<string, PortRow>;
  readonly interfaces: ReadonlyMap<string, InterfaceRow>;
}

/** Columns the replica monitors, per table (everything its typed rows need). */
export const VSWITCH_COLUMNS = {
  Open_vSwitch: ['bridges', 'next_cfg', 'cur_cfg', 'external_ids'],
  Bridge: ['name', 'ports', 'datapath_type', 'fail_mode', 'protocols', 'external_ids', 'other_config'],
  Port: ['name', 'interfaces', 'external_ids'],
  Interface: ['name', 'type', 'ofport', 'ofport_request', 'mac_in_use', 'external_ids', 'statistics', 'error', 'link_state'],
} as const satisfies Record<string, readonly string[]>;
