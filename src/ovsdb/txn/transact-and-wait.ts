import type { OvsdbClientApi, VswitchReplicaApi } from '../contract.js';
import { OvsdbMissingRowError } from '../errors/ovsdb-missing-row-error.js';
import { VSWITCH_DB } from '../vswitch/vswitch-replica.js';
import type { Operation, OperationResult } from '../wire/wire-types.js';
import { nextCfgFromResult, Txn } from './txn.js';

/**
 * Runs ops on Open_vSwitch with a next_cfg bump and waits until ovs-vswitchd
 * has applied them (cur_cfg caught up), the way `ovs-vsctl` without --no-wait
 * does. Returns the results of `ops` (without the bump's own two).
 */
export async function transactAndWait(
  client: Pick<OvsdbClientApi, 'transact'>,
  replica: Pick<VswitchReplicaApi, 'snapshot' | 'waitForCurCfg'>,
  ops: readonly Operation[],
  opts: { timeoutMs?: number } = {},
): Promise<OperationResult[]> {
  const root = replica.snapshot().openVSwitch;
  if (!root) throw new OvsdbMissingRowError('Open_vSwitch', 'no root row in the replica (database not initialised?)');
  const bump = new Txn();
  const selectIndex = ops.length + bump.bumpNextCfg(root._uuid);
  const results = await client.transact(VSWITCH_DB, [...ops, ...bump.ops()]);
  await replica.waitForCurCfg(nextCfgFromResult(results[selectIndex]), opts.timeoutMs);
  return results.slice(0, ops.length);
}
