import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { OvsSandbox } from '../../../src/sandbox/ovs-sandbox.js';
import { OWNER_COOKIE, pipelineFlows, type FlowPort } from '../../../src/core/pipeline/index.js';
import { FlowSync, OfctlDriver } from '../../../src/openflow/index.js';
import { run } from '../../../src/exec/run.js';
import { eui64LinkLocal } from '../../../src/net/index.js';
import { workloadIpv6Sysctls } from '../../../src/plumbing/workload-ipv6.js';
import { addSecureBridge, plugWorkloads, type Workload } from './workloads.js';

const ATTACKS = fileURLToPath(new URL('../security/ipv6-attacks.py', import.meta.url));

/**
 * The dual-stack pipeline without the switch's ND answers: what the agent installs on the kernel datapath
 * (`system`), whose OVS cannot rewrite an NS into an NA. Run here on the userspace datapath: solicitations are
 * flooded in the tenant, owners answer through the ND guard, and the guard still stops a forged NA.
 */
describe('dual-stack pipeline where owners answer neighbour solicitations (the system-datapath mode)', () => {
  let sb: OvsSandbox;
  let w: (Workload & { ip6: string })[];
  const bridge = 'br-nd';

  const ping6 = async (from: Workload, ip: string): Promise<number> => {
    const r = await run('ping', ['-6', '-n', '-q', '-c', '2', '-W', '1', '-i', '0.2', ip], { netns: from.nsPath, okExitCodes: [1, 2] });
    return Number(/(\d+) received/.exec(r.stdout)?.[1] ?? 0);
  };
  const neighMac = async (ns: Workload, ip: string): Promise<string | undefined> =>
    (JSON.parse((await run('ip', ['-6', '-j', 'neigh', 'show', 'dev', 'eth0', ip], { netns: ns.nsPath })).stdout || '[]') as { lladdr?: string }[])[0]?.lladdr;

  beforeAll(async () => {
    sb = await OvsSandbox.start({ label: 'of-nd-owner' });
    await addSecureBridge(sb, bridge);
    const plugged = await plugWorkloads(sb, bridge, [
      { ns: 'nd-a', portName: 'vnd0', mac: '02:00:00:0b:00:01', ip: '10.9.0.1', tenant: 'nd', tenantId: 31 },
      { ns: 'nd-b', portName: 'vnd1', mac: '02:00:00:0b:00:02', ip: '10.9.0.2', tenant: 'nd', tenantId: 31 },
      { ns: 'nd-c', portName: 'vnd2', mac: '02:00:00:0b:00:03', ip: '10.9.0.3', tenant: 'nd', tenantId: 31 },
      { ns: 'nx-a', portName: 'vnd3', mac: '02:00:00:0b:00:04', ip: '10.9.0.4', tenant: 'nx', tenantId: 32 },
    ]);
    w = plugged.map((p, i) => ({ ...p, ip6: `fd00:9::${i + 1}` }));
    for (const p of w) {
      // What plumbing does for a dual-stack port (the interface is already up here: re-generate its link-local).
      await run('sysctl', ['-q', '-w', ...workloadIpv6Sysctls('eth0').map((s) => `${s.key}=${s.value}`)], { netns: p.nsPath });
      await run('ip', ['link', 'set', 'eth0', 'down'], { netns: p.nsPath });
      await run('ip', ['link', 'set', 'eth0', 'addrgenmode', 'eui64', 'up'], { netns: p.nsPath });
      await run('ip', ['addr', 'add', `${p.ip6}/64`, 'dev', 'eth0', 'nodad'], { netns: p.nsPath });
    }
    const ports: FlowPort[] = w.map((p) => ({ portName: p.portName, ofport: p.ofport, mac: p.mac, ip: p.ip, tenantId: p.tenantId, tenant: p.tenant, ip6: p.ip6 }));
    await new FlowSync(new OfctlDriver({ ovsRundir: sb.dir, cookie: OWNER_COOKIE, env: sb.env })).sync(bridge, pipelineFlows(ports, [], { ndResponder: false }));
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('resolves neighbours through the owners\' own answers: ping6 global and link-local, the right MAC learned', async () => {
    const [a, b, c] = w;
    expect(await ping6(a!, b!.ip6)).toBe(2);
    expect(await ping6(c!, `${eui64LinkLocal(a!.mac)}%eth0`)).toBe(2);
    expect(await neighMac(a!, b!.ip6)).toBe(b!.mac);
    // A reachability probe (a unicast NS) is answered by its owner without a target link-layer option (Linux
    // includes it only when the NS went to a multicast group); that NA passes the guard too.
    await run('nsenter', [`--net=${a!.nsPath}`, '/usr/bin/python3', ATTACKS, 'send', 'eth0', JSON.stringify({
      kind: 'unicast-ns', srcMac: a!.mac, src: a!.ip6, dstMac: b!.mac, dstIp: b!.ip6, count: 2,
    })]);
    await new Promise((r) => setTimeout(r, 300));
    const dump = await sb.ofctl('-O', 'OpenFlow15', 'dump-flows', sb.mgmt(bridge), `table=12,icmp6,in_port=${b!.ofport},icmp_type=136,nd_tll=00:00:00:00:00:00,nd_target=${b!.ip6}`);
    expect(Number(/n_packets=(\d+)/.exec(dump)?.[1] ?? 0)).toBeGreaterThanOrEqual(1);
  });

  it('still stops a forged advertisement, and keeps the tenants apart', async () => {
    const [a, b, c, x] = w;
    expect(await ping6(c!, b!.ip6)).toBe(2);
    await run('nsenter', [`--net=${a!.nsPath}`, '/usr/bin/python3', ATTACKS, 'send', 'eth0', JSON.stringify({
      kind: 'forged-na', srcMac: a!.mac, srcLl: eui64LinkLocal(a!.mac), dstMac: c!.mac, dstIp: c!.ip6, target: b!.ip6, count: 3,
    })]);
    await new Promise((r) => setTimeout(r, 300));
    expect(await neighMac(c!, b!.ip6)).toBe(b!.mac);
    await run('ip', ['-6', 'route', 'add', 'fd00:9::/64', 'dev', 'eth0'], { netns: x!.nsPath, okExitCodes: [2] });
    expect(await ping6(x!, a!.ip6)).toBe(0);
  });
});
