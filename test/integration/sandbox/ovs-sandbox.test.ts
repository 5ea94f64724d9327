import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvsSandbox } from '../../../src/sandbox/ovs-sandbox.js';
import { isAlive, readPidFile } from '../../../src/sandbox/pid-file.js';
import { existsSync } from 'node:fs';

describe('OvsSandbox', () => {
  let sb: OvsSandbox;
  beforeAll(async () => {
    sb = await OvsSandbox.start({ label: 'sandbox' });
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('runs a real ovsdb-server and ovs-vswitchd that accept a netdev bridge', async () => {
    await sb.addBridge('br-sb');
    expect((await sb.vsctl('list-br')).trim()).toBe('br-sb');
    const dpType = (await sb.vsctl('get', 'Bridge', 'br-sb', 'datapath_type')).trim();
    expect(dpType).toBe('netdev');
    // The bridge's internal port is a tap inside the private host namespace only.
    const links = (await sb.inHost('ip', ['-o', 'link', 'show'])).stdout;
    expect(links).toContain('br-sb');
  });

  it('plugs a veth from a workload namespace and passes real packets', async () => {
    await sb.addBridge('br-ping');
    await sb.ofctl('add-flow', 'br-ping', 'actions=NORMAL');
    const [a, b] = await sb.netnsDir.add('w-a', 'w-b');
    for (const [i, ns] of [a!, b!].entries()) {
      await sb.inHost('ip', ['link', 'add', `vh${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await sb.inHost('ip', ['link', 'set', `vh${i}`, 'up']);
      await sb.vsctl('add-port', 'br-ping', `vh${i}`);
      await sb.inHost('nsenter', [`--net=${ns}`, 'ip', 'addr', 'add', `192.0.2.${i + 1}/24`, 'dev', 'eth0']);
      await sb.inHost('nsenter', [`--net=${ns}`, 'ip', 'link', 'set', 'eth0', 'up']);
    }
    const ping = await sb.inHost('nsenter', [`--net=${a!}`, 'ping', '-c', '1', '-W', '5', '192.0.2.2']);
    expect(ping.stdout).toContain('1 received');
  });

  it('stop() ends both daemons by pid file and removes the dir', async () => {
    const other = await OvsSandbox.start({ label: 'stop' });
    const pids = [await readPidFile(other.ovsdbPidFile), await readPidFile(other.vswitchdPidFile)];
    expect(pids.every((p) => p !== undefined && isAlive(p))).toBe(true);
    await other.stop();
    expect(pids.some((p) => isAlive(p!))).toBe(false);
    expect(existsSync(other.dir)).toBe(false);
  });
});
