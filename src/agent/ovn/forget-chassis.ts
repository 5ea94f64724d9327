import { OvsdbClient, cond } from '../../ovsdb/index.js';
import { OVN_NB_DB } from '../../ovsdb/ovn-nb/nb-rows.js';
import { OVN_SB_DB } from '../../ovsdb/ovn-sb/sb-rows.js';
import { nbView } from '../../core/ovn/nb-view.js';
import { silentLogger } from '../../observe/logger.js';
import { OvnNorthbound } from './ovn-nb.js';

/** How long the commands wait for a usable member of a database. */
export const CLI_CONNECT_TIMEOUT_MS = 10_000;

/** The logical ports nsvswitch made for the workloads of one chassis, by name (what `forget` would delete). */
export async function chassisPorts(nbRemotes: string, systemId: string, opts: { delete: boolean }): Promise<string[]> {
  const client = await OvsdbClient.connect(nbRemotes, { leaderOnly: true, databases: [OVN_NB_DB], connectTimeoutMs: CLI_CONNECT_TIMEOUT_MS });
  try {
    const nb = await OvnNorthbound.start(client, systemId, silentLogger());
    try {
      const own = [...nbView(nb.snapshot(), systemId).own.values()];
      if (opts.delete) await nb.release(own);
      return own.map((l) => l.name).sort();
    } finally {
      await nb.stop();
    }
  } finally {
    await client.close();
  }
}

/** Whether the southbound database still has the chassis (its ovn-controller registered and did not leave). */
export async function chassisRegistered(sbRemotes: string, systemId: string): Promise<boolean> {
  const client = await OvsdbClient.connect(sbRemotes, { leaderOnly: false, databases: [OVN_SB_DB], connectTimeoutMs: CLI_CONNECT_TIMEOUT_MS });
  try {
    const [res] = await client.transact(OVN_SB_DB, [{ op: 'select', table: 'Chassis', where: [cond('name', '==', systemId)], columns: ['name'] }]);
    return (res?.rows?.length ?? 0) > 0;
  } finally {
    await client.close();
  }
}
