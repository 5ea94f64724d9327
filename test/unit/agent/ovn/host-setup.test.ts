import { describe, expect, it } from 'vitest';
import { hostSettings, resolveSystemId, setUpOvnHost } from '../../../../src/agent/ovn/host-setup.js';
import { nbSignature } from '../../../../src/agent/ovn/ovn-backend.js';
import { DEFAULT_CONFIG } from '../../../../src/config/index.js';
import type { AgentConfig } from '../../../../src/config/types.js';
import { PersistentMap, type Operation, type OvsdbClientApi, type VswitchSnapshot } from '../../../../src/ovsdb/index.js';
import type { LogicalSwitchPortRow, LogicalSwitchRow, NbSnapshot } from '../../../../src/ovsdb/ovn-nb/nb-rows.js';
import { ExternalIds, OWNER_KEY, OWNER_VALUE } from '../../../../src/core/ownership.js';

const CONFIG: AgentConfig = { ...DEFAULT_CONFIG, backend: 'ovn', bridge: 'br-int', datapathType: 'netdev', ovnNbRemotes: 'tcp:10.0.0.1:6641', ovnSbRemotes: 'tcp:10.0.0.1:6642,tcp:10.0.0.2:6642', ovnEncapIp: '172.31.0.11' };

function snap(ids: Record<string, string>): VswitchSnapshot {
  return { openVSwitch: { _uuid: 'root', bridges: [], next_cfg: 0, cur_cfg: 0, external_ids: ids }, bridges: new Map(), ports: new Map(), interfaces: new Map() };
}

/** Records the transactions; nothing else is called by host setup. */
function recorder(): { client: OvsdbClientApi; sent: Operation[][] } {
  const sent: Operation[][] = [];
  const client = { transact: async (_db: string, ops: readonly Operation[]) => (sent.push([...ops]), []) } as unknown as OvsdbClientApi;
  return { client, sent };
}

describe('OVN host setup', () => {
  it('takes the chassis name from the config, else the Open_vSwitch row, else the host name', () => {
    expect(resolveSystemId({ ovnSystemId: 'cfg' }, snap({ 'system-id': 'row' }))).toBe('cfg');
    expect(resolveSystemId({}, snap({ 'system-id': 'row' }))).toBe('row');
    expect(resolveSystemId({}, snap({}))).toMatch(/.+/);
  });

  it('writes only the keys that differ, in one mutate (delete then insert), and nothing when all match', async () => {
    const wanted = hostSettings(CONFIG, 'h1');
    const r = recorder();
    expect(await setUpOvnHost(r.client, snap({ 'system-id': 'h1', 'ovn-encap-ip': '1.2.3.4', other: 'kept' }), wanted)).toEqual(['ovn-remote', 'ovn-encap-type', 'ovn-encap-ip', 'ovn-bridge', 'ovn-bridge-datapath-type']);
    const mutate = r.sent[0]!.find((op) => op.op === 'mutate');
    expect(mutate).toMatchObject({ table: 'Open_vSwitch', mutations: [
      ['external_ids', 'delete', ['set', ['ovn-remote', 'ovn-encap-type', 'ovn-encap-ip', 'ovn-bridge', 'ovn-bridge-datapath-type']]],
      ['external_ids', 'insert', ['map', [['ovn-remote', 'tcp:10.0.0.1:6642,tcp:10.0.0.2:6642'], ['ovn-encap-type', 'geneve'], ['ovn-encap-ip', '172.31.0.11'], ['ovn-bridge', 'br-int'], ['ovn-bridge-datapath-type', 'netdev']]]],
    ] });
    const again = recorder();
    const all = { 'system-id': 'h1', 'ovn-remote': 'tcp:10.0.0.1:6642,tcp:10.0.0.2:6642', 'ovn-encap-type': 'geneve', 'ovn-encap-ip': '172.31.0.11', 'ovn-bridge': 'br-int', 'ovn-bridge-datapath-type': 'netdev' };
    expect(await setUpOvnHost(again.client, snap(all), wanted)).toEqual([]);
    expect(again.sent).toEqual([]);
  });
});

describe('northbound changes that trigger a pass', () => {
  const row = (name: string, chassis: string, up?: boolean): LogicalSwitchPortRow => ({
    _uuid: `u-${name}`, name, type: '', addresses: ['02:00:00:00:00:01 10.0.0.2'], port_security: [], options: {}, up,
    external_ids: { [OWNER_KEY]: OWNER_VALUE, [ExternalIds.chassis]: chassis, [ExternalIds.tenant]: 'blue', [ExternalIds.ip]: '10.0.0.2', [ExternalIds.mac]: '02:00:00:00:00:01', [ExternalIds.nsKey]: `/n/${name}#1` },
  });
  const nb = (...ports: LogicalSwitchPortRow[]): NbSnapshot => ({
    Logical_Switch: PersistentMap.empty<LogicalSwitchRow>().set('ls', { _uuid: 'ls', name: 'nsvs-blue', ports: ports.map((p) => p._uuid), other_config: {}, external_ids: {} }),
    Logical_Switch_Port: ports.reduce((m, p) => m.set(p._uuid, p), PersistentMap.empty<LogicalSwitchPortRow>()),
  });

  it('are this chassis\' own ports and the switches, not other hosts\' ports nor the up flag northd sets', () => {
    const base = nbSignature(nb(row('a', 'h1')), 'h1');
    expect(nbSignature(nb(row('a', 'h1'), row('b', 'h2')), 'h1')).toBe(base);
    expect(nbSignature(nb(row('a', 'h1', true)), 'h1')).toBe(base);
    expect(nbSignature(nb(), 'h1')).not.toBe(base);
  });
});
