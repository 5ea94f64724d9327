import type { Observable } from 'rxjs';
import { Txn, transactAndWait, ovsSet, ovsMap, uuid, byUuid, mutation, VSWITCH_DB, type OvsdbClient, type VswitchReplica, type VswitchSnapshot } from '../ovsdb/index.js';
import type { AgentConfig } from '../config/types.js';
import type { DesiredPort, OwnedPort } from '../core/model.js';
import { ExternalIds, OWNER_KEY, OWNER_VALUE } from '../core/ownership.js';
import { interfaceRecord } from '../core/owned-ports.js';
import { BridgeSetupError } from './errors/bridge-setup-error.js';
import type { DesiredGateway } from '../core/gateway/desired-gateways.js';
import { addGateways } from './ovs-gateways.js';
import type { PortStore } from './port-store.js';
import { APPLY_TIMEOUT_MS } from './ovs-apply.js';

/** OpenFlow versions the bridge must speak: 1.3 for tools, 1.5 for our bundles. */
export const BRIDGE_PROTOCOLS = ['OpenFlow13', 'OpenFlow15'] as const;

/**
 * Creates the bridge if missing (fail_mode=secure, OpenFlow13+15, configured
 * datapath, owner record). A bridge someone else made only gets what we need:
 * the two protocols. Returns the bridge uuid and whether anything was written.
 */
export async function ensureBridge(client: OvsdbClient, replica: VswitchReplica, config: AgentConfig): Promise<{ uuid: string; wrote: boolean }> {
  const snap = replica.snapshot();
  const root = snap.openVSwitch;
  if (!root) throw new BridgeSetupError(config.bridge, 'the Open_vSwitch table has no row (run `ovs-vsctl init`)');
  const existing = [...snap.bridges.values()].find((b) => b.name === config.bridge);
  if (existing) {
    const missing = BRIDGE_PROTOCOLS.filter((p) => !existing.protocols.includes(p));
    if (missing.length === 0) return { uuid: existing._uuid, wrote: false };
    const txn = new Txn();
    txn.mutate('Bridge', [byUuid(existing._uuid)], [mutation('protocols', 'insert', ovsSet(missing))]);
    txn.comment(`nsvswitch: enable ${missing.join(',')} on bridge ${config.bridge}`);
    await transactAndWait(client, replica, txn.ops(), { timeoutMs: APPLY_TIMEOUT_MS });
    return { uuid: existing._uuid, wrote: true };
  }
  const txn = new Txn();
  const iface = txn.insert('Interface', { name: config.bridge, type: 'internal' }, 'br_iface');
  const port = txn.insert('Port', { name: config.bridge, interfaces: ovsSet([iface]) }, 'br_port');
  const br = txn.insert('Bridge', {
    name: config.bridge,
    ports: ovsSet([port]),
    datapath_type: config.datapathType,
    fail_mode: 'secure',
    protocols: ovsSet(BRIDGE_PROTOCOLS),
    external_ids: ovsMap({ [OWNER_KEY]: OWNER_VALUE }),
  }, 'br');
  txn.mutate('Open_vSwitch', [byUuid(root._uuid)], [mutation('bridges', 'insert', ovsSet([br]))]);
  txn.comment(`nsvswitch: create bridge ${config.bridge}`);
  const results = await transactAndWait(client, replica, txn.ops(), { timeoutMs: APPLY_TIMEOUT_MS });
  return { uuid: txn.uuidOf(results, br), wrote: true };
}

/** The PortStore on a live OVSDB connection and its replica. */
export class OvsPorts implements PortStore {
  constructor(private readonly client: OvsdbClient, private readonly replica: VswitchReplica) {}

  snapshot(): VswitchSnapshot {
    return this.replica.snapshot();
  }

  get changes$(): Observable<VswitchSnapshot> {
    return this.replica.changes$;
  }

  /** `ofportRequests[i]` asks for port i's OpenFlow number, so its flows can go in before ovs-vswitchd is done. */
  async addPorts(bridgeUuid: string, ports: readonly DesiredPort[], ofportRequests: readonly (number | undefined)[] = []): Promise<void> {
    if (ports.length === 0) return;
    const txn = new Txn();
    const refs = ports.map((d, i) => {
      const req = ofportRequests[i];
      const iface = txn.insert('Interface', { name: d.hostIf, external_ids: ovsMap(interfaceRecord(d)), ...(req !== undefined ? { ofport_request: req } : {}) }, `i${i}`);
      return txn.insert('Port', { name: d.hostIf, interfaces: ovsSet([iface]), external_ids: ovsMap({ [OWNER_KEY]: OWNER_VALUE }) }, `p${i}`);
    });
    txn.mutate('Bridge', [byUuid(bridgeUuid)], [mutation('ports', 'insert', ovsSet(refs))]);
    txn.comment(`nsvswitch: add ${ports.length} port(s)`);
    await transactAndWait(this.client, this.replica, txn.ops(), { timeoutMs: APPLY_TIMEOUT_MS });
  }

  addGateways(bridgeUuid: string, gws: readonly DesiredGateway[], ofportRequests: readonly (number | undefined)[] = []): Promise<void> {
    return addGateways(this.client, this.replica, bridgeUuid, gws, ofportRequests);
  }

  /**
   * Detaches ports from the bridge (OVSDB garbage-collects their Port and
   * Interface rows). `waitApplied` also waits until ovs-vswitchd applied the
   * removal (cur_cfg). That is required before a link of the same name is
   * re-created and recorded: ovs-vswitchd matches interfaces by name, and when
   * one reconfiguration shows it the removal and the re-add together it keeps
   * its handle on the deleted link ("error receiving data ...: Network is
   * down"), so the new port is recorded and numbered but carries no packet.
   */
  async removePorts(bridgeUuid: string, ports: readonly Pick<OwnedPort, 'portUuid'>[], opts: { readonly waitApplied?: boolean; readonly comment?: string } = {}): Promise<void> {
    if (ports.length === 0) return;
    const txn = new Txn();
    txn.mutate('Bridge', [byUuid(bridgeUuid)], [mutation('ports', 'delete', ovsSet(ports.map((p) => uuid(p.portUuid))))]);
    txn.comment(opts.comment ?? `nsvswitch: remove ${ports.length} port(s)`);
    if (opts.waitApplied) await transactAndWait(this.client, this.replica, txn.ops(), { timeoutMs: APPLY_TIMEOUT_MS });
    else await this.client.transact(VSWITCH_DB, txn.ops());
  }

  async markInstalled(ifaceUuids: readonly string[]): Promise<void> {
    if (ifaceUuids.length === 0) return;
    const txn = new Txn();
    const marker = mutation('external_ids', 'insert', ovsMap({ [ExternalIds.installed]: 'true' }));
    for (const u of ifaceUuids) txn.mutate('Interface', [byUuid(u)], [marker]);
    await this.client.transact(VSWITCH_DB, txn.ops());
  }

  /** Deletes a whole bridge (its ports go with it) and waits until ovs-vswitchd applied it: `nsvswitch uninstall` of a bridge we created. */
  async removeBridge(bridgeUuid: string, comment: string): Promise<void> {
    const root = this.replica.snapshot().openVSwitch;
    if (!root) return;
    const txn = new Txn();
    txn.mutate('Open_vSwitch', [byUuid(root._uuid)], [mutation('bridges', 'delete', ovsSet([uuid(bridgeUuid)]))]);
    txn.comment(comment);
    await transactAndWait(this.client, this.replica, txn.ops(), { timeoutMs: APPLY_TIMEOUT_MS });
  }
}
