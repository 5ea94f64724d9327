import { hostname } from 'node:os';
import { Txn, byUuid, mutation, ovsMap, ovsSet, VSWITCH_DB, type OvsdbClientApi, type VswitchSnapshot } from '../../ovsdb/index.js';
import { hostIdsToWrite, ovnHostIds, type OvnHostSettings } from '../../core/ovn/host-ids.js';
import type { AgentConfig } from '../../config/types.js';
import { BridgeSetupError } from '../errors/bridge-setup-error.js';

/** This host's chassis name: the configured one, else the Open_vSwitch row's system-id, else the host name. */
export function resolveSystemId(config: Pick<AgentConfig, 'ovnSystemId'>, snap: VswitchSnapshot): string {
  return config.ovnSystemId ?? snap.openVSwitch?.external_ids['system-id'] ?? hostname();
}

/** What ovn-controller must read on this host, from the agent's config. */
export function hostSettings(config: AgentConfig, systemId: string): OvnHostSettings {
  return {
    systemId, sbRemotes: config.ovnSbRemotes ?? '', encapType: config.ovnEncapType, encapIp: config.ovnEncapIp ?? '',
    bridge: config.bridge, datapathType: config.datapathType,
  };
}

/**
 * Sets the Open_vSwitch external_ids ovn-controller reads (system-id,
 * ovn-remote, ovn-encap-*, ovn-bridge*), once at start, writing only the keys
 * that differ: a restart writes nothing. Returns the keys written.
 */
export async function setUpOvnHost(client: OvsdbClientApi, snap: VswitchSnapshot, settings: OvnHostSettings): Promise<string[]> {
  const root = snap.openVSwitch;
  if (!root) throw new BridgeSetupError(settings.bridge, 'the Open_vSwitch table has no row (run `ovs-vsctl init`)');
  const write = hostIdsToWrite(root.external_ids, ovnHostIds(settings));
  const keys = Object.keys(write);
  if (keys.length === 0) return [];
  const txn = new Txn();
  // Map insert keeps an existing key's value: delete the changed keys first, in the same op.
  txn.mutate('Open_vSwitch', [byUuid(root._uuid)], [mutation('external_ids', 'delete', ovsSet(keys)), mutation('external_ids', 'insert', ovsMap(write))]);
  txn.comment(`nsvswitch: OVN chassis ${settings.systemId} (${keys.join(', ')})`);
  await client.transact(VSWITCH_DB, txn.ops());
  return keys;
}
