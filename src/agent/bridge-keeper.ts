import type { AgentConfig } from '../config/types.js';
import type { Logger } from '../observe/logger.js';
import type { OvsdbClient, VswitchReplica } from '../ovsdb/index.js';
import { ensureBridge } from './ovs-ports.js';

/** Our bridge: created (or found) at start, and created again when someone deletes it under the running agent. */
export class BridgeKeeper {
  private bridgeUuid = '';

  constructor(
    private readonly client: OvsdbClient,
    private readonly replica: VswitchReplica,
    private readonly config: AgentConfig,
    private readonly logger: Logger,
  ) {}

  /** The bridge's row uuid ('' before ensure). */
  get uuid(): string {
    return this.bridgeUuid;
  }

  async ensure(): Promise<string> {
    this.bridgeUuid = (await ensureBridge(this.client, this.replica, this.config)).uuid;
    return this.bridgeUuid;
  }

  /** Re-creates the bridge if it is gone; true when it did (its flows went with it). */
  async heal(): Promise<boolean> {
    if (this.replica.snapshot().bridges.has(this.bridgeUuid)) return false;
    await this.ensure();
    this.logger.warn({ bridge: this.config.bridge, bridgeUuid: this.bridgeUuid }, 'bridge was missing: re-created');
    return true;
  }
}
