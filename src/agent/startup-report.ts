// What the agent says once its bridge is ready: the paths it took, and a warning when kept offloads cannot work.
import type { AgentConfig } from '../config/types.js';
import { loadNative } from '../native/native.js';
import type { Logger } from '../observe/logger.js';
import type { OvsdbClient } from '../ovsdb/index.js';
import { guardTableName, type SelectedPlumbing } from '../plumbing/index.js';
import { disablesTxChecksum } from './host-guard.js';

export function logBridgeReady(log: Logger, config: AgentConfig, bridgeUuid: string, plumbing: SelectedPlumbing): void {
  const native = loadNative();
  log.info({
    bridge: config.bridge, bridgeUuid, datapathType: config.datapathType,
    hostSeal: config.datapathType === 'netdev' ? `nftables ingress drop (table netdev ${guardTableName(config.bridge)}) + sysctls` : 'sysctls',
    nativeAddon: native.addon ? 'loaded' : `not used (${native.reason}); ethtool/sysctl processes instead`,
    plumbing: plumbing.path === 'netlink' ? 'in-process rtnetlink (no ip/nsenter processes)' : `ip/nsenter processes (${plumbing.reason})`,
    workloadTxChecksumOffload: disablesTxChecksum(config) ? 'turned off' : 'kept',
  }, 'bridge ready');
}

// Kept offloads on netdev work only if ovs-vswitchd finishes checksums itself (userspace TSO, read at its start).
export async function warnIfNoUserspaceTso(client: OvsdbClient, config: AgentConfig, logger: Logger): Promise<void> {
  if (config.datapathType !== 'netdev' || disablesTxChecksum(config)) return;
  try {
    const [res] = await client.transact('Open_vSwitch', [{ op: 'select', table: 'Open_vSwitch', where: [], columns: ['other_config'] }]);
    const rows = (res as { rows?: { other_config?: unknown }[] } | undefined)?.rows ?? [];
    const text = JSON.stringify(rows[0]?.other_config ?? null);
    if (!/"userspace-tso-enable","true"/.test(text)) {
      logger.warn({ bridge: config.bridge, txChecksumOffload: config.txChecksumOffload },
        'workload tx checksum offload kept on netdev, but Open_vSwitch other_config:userspace-tso-enable is not true: TCP and UDP between workloads will fail (set it and restart ovs-vswitchd, or use txChecksumOffload: auto)');
    }
  } catch (err) {
    logger.debug({ err: (err as Error).message }, 'could not read Open_vSwitch other_config');
  }
}
