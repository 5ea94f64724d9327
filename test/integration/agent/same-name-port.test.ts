import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvsPorts } from '../../../src/agent/ovs-ports.js';
import { run } from '../../../src/exec/run.js';
import { OvsdbClient, VswitchReplica } from '../../../src/ovsdb/index.js';
import { OvsSandbox } from '../../../src/sandbox/ovs-sandbox.js';

const BR = 'br-same';
const MAC = { a: '02:00:00:5a:00:01', b: '02:00:00:5a:00:02' };

/**
 * Why removePorts() waits for ovs-vswitchd before a same-name replug:
 * ovs-vswitchd matches interfaces by name, so a removal and a re-add it sees
 * in one reconfiguration leave it holding the deleted link, and the port is
 * dead. Once it has applied the removal on its own, the re-created link works.
 */
describe('a port re-created under the same name', () => {
  let sb: OvsSandbox;
  let client: OvsdbClient | undefined;
  let replica: VswitchReplica | undefined;
  let pa = '', pb = '';

  /** A veth whose peer sits in the namespace with a fixed MAC (the agent's MACs are derived, so stable too). */
  const veth = async (host: string, nsPath: string, mac: string, cidr: string) => {
    await sb.inHost('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', `${host}p`]);
    await sb.inHost('ip', ['link', 'set', `${host}p`, 'netns', nsPath]);
    await sb.inHost('ip', ['link', 'set', host, 'up']);
    await run('ip', ['link', 'set', `${host}p`, 'address', mac, 'up'], { netns: nsPath });
    await run('ip', ['addr', 'add', cidr, 'dev', `${host}p`], { netns: nsPath });
  };
  /** Replies to 3 pings from a to b, with a cold neighbour table (no stale MAC can hide a dead port). */
  const replies = async () => {
    await run('ip', ['neigh', 'flush', 'all'], { netns: pa });
    const r = await run('ping', ['-n', '-q', '-c', '3', '-W', '1', '-i', '0.2', '10.90.0.2'], { netns: pa, okExitCodes: [1] });
    return Number(/(\d+) received/.exec(r.stdout)?.[1] ?? 0);
  };
  const portUuid = (name: string) => [...replica!.snapshot().ports.values()].find((p) => p.name === name)!._uuid;
  const bridgeUuid = () => [...replica!.snapshot().bridges.values()].find((b) => b.name === BR)!._uuid;

  beforeAll(async () => {
    sb = await OvsSandbox.start({ label: 'same-name' });
    await sb.addBridge(BR, '--', 'set', 'bridge', BR, 'datapath_type=netdev', 'fail_mode=standalone');
    await sb.netnsDir.add('sn-a');
    pa = sb.netnsDir.path('sn-a');
    await sb.netnsDir.add('sn-b');
    pb = sb.netnsDir.path('sn-b');
    await veth('snva', pa, MAC.a, '10.90.0.1/24');
    await veth('snvb', pb, MAC.b, '10.90.0.2/24');
    await sb.vsctl('add-port', BR, 'snva', '--', 'add-port', BR, 'snvb');
    client = await OvsdbClient.connect(sb.dbEndpoint);
    replica = await VswitchReplica.start(client);
  });
  afterAll(async () => {
    await replica?.stop();
    await client?.close();
    await sb?.stop();
  });

  it('works before any replug', async () => {
    expect(await replies()).toBeGreaterThan(0);
  });

  it('is dead when ovs-vswitchd sees the removal and the re-add together (the premise)', async () => {
    await sb.inHost('ip', ['link', 'del', 'snvb']);
    await veth('snvb', pb, MAC.b, '10.90.0.2/24');
    await sb.vsctl('del-port', BR, 'snvb', '--', 'add-port', BR, 'snvb');
    expect(await replies()).toBe(0);
    expect(await replies()).toBe(0);
  });

  it('works when removePorts() waited for ovs-vswitchd before the link was re-created', async () => {
    await new OvsPorts(client!, replica!).removePorts(bridgeUuid(), [{ portUuid: portUuid('snvb') }], { waitApplied: true });
    await sb.inHost('ip', ['link', 'del', 'snvb']);
    await veth('snvb', pb, MAC.b, '10.90.0.2/24');
    await sb.vsctl('add-port', BR, 'snvb');
    expect(await replies()).toBeGreaterThan(0);
  });
});
