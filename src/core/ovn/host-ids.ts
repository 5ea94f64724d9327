/** What ovn-controller reads from this host's Open_vSwitch row, as nsvswitch's config says it. */
export interface OvnHostSettings {
  readonly systemId: string;
  /** The southbound members, comma-separated (ovn-controller's own list syntax). */
  readonly sbRemotes: string;
  readonly encapType: string;
  readonly encapIp: string;
  /** The integration bridge (the agent's `bridge`). */
  readonly bridge: string;
  readonly datapathType: string;
}

/** Open_vSwitch external_ids ovn-controller needs (ovn-controller(8)). */
export function ovnHostIds(s: OvnHostSettings): Record<string, string> {
  return {
    'system-id': s.systemId,
    'ovn-remote': s.sbRemotes,
    'ovn-encap-type': s.encapType,
    'ovn-encap-ip': s.encapIp,
    'ovn-bridge': s.bridge,
    'ovn-bridge-datapath-type': s.datapathType,
  };
}

/** The keys whose value differs from what is wanted: nothing to write on a restart. */
export function hostIdsToWrite(current: Readonly<Record<string, string>>, wanted: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(wanted)) if (current[k] !== v) out[k] = v;
  return out;
}
