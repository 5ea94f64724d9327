import { Txn, transactAndWait, ovsSet, ovsMap, byUuid, mutation, type OvsdbClient, type VswitchReplica } from '../ovsdb/index.js';
import type { DesiredGateway } from '../core/gateway/desired-gateways.js';
import { gatewayRecord } from '../core/gateway/owned-gateways.js';
import { APPLY_TIMEOUT_MS } from './ovs-apply.js';

/**
 * Records tenant gateway ports in one transaction and waits until
 * ovs-vswitchd applied it: OVS internal ports (ovs-vswitchd creates their
 * host interface) with the derived MAC, so the host interface carries it.
 */
export async function addGateways(client: OvsdbClient, replica: VswitchReplica, bridgeUuid: string, gws: readonly DesiredGateway[], ofportRequests: readonly (number | undefined)[] = []): Promise<void> {
  if (gws.length === 0) return;
  const txn = new Txn();
  const refs = gws.map((g, i) => {
    const rec = gatewayRecord(g);
    const req = ofportRequests[i];
    const iface = txn.insert('Interface', { name: g.name, type: 'internal', mac: g.mac, external_ids: ovsMap(rec.iface), ...(req !== undefined ? { ofport_request: req } : {}) }, `gi${i}`);
    return txn.insert('Port', { name: g.name, interfaces: ovsSet([iface]), external_ids: ovsMap(rec.port) }, `gp${i}`);
  });
  txn.mutate('Bridge', [byUuid(bridgeUuid)], [mutation('ports', 'insert', ovsSet(refs))]);
  txn.comment(`nsvswitch: add ${gws.length} tenant gateway(s) ${gws.map((g) => `${g.name} (${g.tenant})`).join(', ')}`);
  await transactAndWait(client, replica, txn.ops(), { timeoutMs: APPLY_TIMEOUT_MS });
}
