import type { AgentConfig } from '../config/types.js';
import type { Logger } from '../observe/logger.js';
import { NftHostGuard } from '../plumbing/index.js';

/**
 * Host ends are sealed on every datapath by sysctls; on the userspace datapath
 * (netdev) also by an nftables ingress drop. Not on `system`: there the
 * ingress hook runs before the kernel datapath's receive handler and would
 * drop the tenant's traffic, while that handler already keeps frames from
 * the host stack (see docs/pipeline.md).
 */
export function hostGuardFor(config: AgentConfig, logger?: Logger, onSpawn?: (program: string) => void): NftHostGuard {
  return new NftHostGuard({
    bridge: config.bridge,
    ingressDrop: config.datapathType === 'netdev',
    // Seals go to nf_tables in-process or through `nft` as the rest of the plumbing goes (config `plumbing`).
    nftables: config.plumbing,
    ...(config.hostNetns ? { hostNetns: config.hostNetns } : {}),
    ...(logger ? { logger } : {}),
    ...(onSpawn ? { onSpawn } : {}),
  });
}

/**
 * Whether workload veth ends lose tx checksum offload: the userspace datapath
 * forwards partial checksums as they are (docs/pipeline.md), the kernel
 * datapath completes them. `keep` on netdev is for an ovs-vswitchd started
 * with userspace-tso-enable=true, which completes them itself (and is faster).
 */
export function disablesTxChecksum(config: Pick<AgentConfig, 'txChecksumOffload' | 'datapathType'>): boolean {
  if (config.txChecksumOffload === 'off') return true;
  if (config.txChecksumOffload === 'keep') return false;
  return config.datapathType === 'netdev';
}
