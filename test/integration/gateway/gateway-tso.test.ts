import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/exec/run.js';
import { trafficMatrix, trafficProblems, type TrafficPair } from '../../helpers/traffic.js';
import { HOST } from '../security/realistic-host.js';
import { GatewayEnv, OUTSIDE, gwTenantYaml, type GwTenant } from './gateway-env.js';

/**
 * The fast configuration of the userspace datapath (docs/performance.md,
 * gateway egress): ovs-vswitchd started with userspace-tso-enable=true and
 * the agent keeping the workloads' offloads (`txChecksumOffload: keep`).
 * Workloads then hand 64 KiB TCP segments with partial checksums to the
 * switch, which passes them on to the gateway's tap as such: egress, SNAT,
 * the stateful wall and traffic inside the tenant must all still hold.
 */
const GT: GwTenant = { name: 'ta', id: 821, subnet: '10.93.0.0/24', gateway: '10.93.0.1', prefix: 'ta' };
const NAMES = ['ta-0', 'ta-1'];

describe('tenant gateway with userspace TSO and workload offloads kept', () => {
  let g: GatewayEnv;
  const ns = (name: string): string => g.env.workloads.path(name);

  beforeAll(async () => {
    g = await GatewayEnv.start('gw-tso', { vswitchdOtherConfig: { 'userspace-tso-enable': 'true' }, agentConfig: { txChecksumOffload: 'keep' } });
    await g.env.writeManifest('tenants.yaml', gwTenantYaml(GT));
    await g.env.workloads.add(...NAMES);
    await g.startAgent();
    await g.settled(NAMES.length, 1);
  });
  afterAll(async () => {
    await g?.stop();
  });

  it('workloads keep tx checksum offload and TSO', async () => {
    const k = (await run('ethtool', ['-k', 'eth0'], { netns: ns('ta-0') })).stdout;
    expect(k).toMatch(/^tx-checksumming: on/m);
    expect(k).toMatch(/^tcp-segmentation-offload: on/m);
  });

  it('TCP (1 MiB) and UDP reach the outside source-translated, and each other inside the tenant; nothing from outside gets in', async () => {
    expect(await g.env.pingCount('ta-0', GT.gateway, { count: 2 })).toBe(2);
    const [a, b] = await Promise.all(NAMES.map((n) => g.ipOf(n)));
    const allowed: TrafficPair[] = [
      { from: ns('ta-0'), to: g.upstream, ip: OUTSIDE, label: 'ta-0 -> outside' },
      { from: ns('ta-1'), to: g.upstream, ip: OUTSIDE, label: 'ta-1 -> outside' },
      { from: ns('ta-0'), to: ns('ta-1'), ip: b!, label: 'ta-0 -> ta-1' },
    ];
    // The 1 MiB streams first, then UDP with a small stream: on the userspace datapath, 64 KiB TSO
    // segments can fill ovs-vswitchd's packet-socket buffer (docs/performance.md, gateway egress), and a
    // datagram sent in the same instant is then lost like any UDP under congestion. This test is about
    // checksums and SNAT with offloads kept, not lossless UDP under a TCP burst.
    const bulk = await trafficMatrix(allowed, { tcpBytes: 1024 * 1024, udpDatagrams: 0 });
    expect(trafficProblems(bulk, () => true)).toEqual([]);
    const results = await trafficMatrix(allowed);
    expect(trafficProblems(results, () => true)).toEqual([]);
    for (const r of results.filter((x) => x.label.endsWith('outside'))) expect({ tcp: r.tcp.from, udp: r.udp.from }).toEqual({ tcp: [HOST.ip4], udp: [HOST.ip4] });
    await g.ipBatch(g.upstream, [`route replace ${GT.subnet} via ${HOST.ip4}`]);
    const inbound = await trafficMatrix([{ from: g.upstream, to: ns('ta-0'), ip: a!, label: 'outside -> ta-0' }], { connectTimeoutMs: 1000 });
    expect(trafficProblems(inbound, () => false)).toEqual([]);
  });
});
