import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { run } from '../../../src/exec/run.js';
import { PrivateNetnsDir } from '../../../src/sandbox/private-netns-dir.js';
import { AgentEnv, eventually, tenantYaml } from '../../helpers/agent-env.js';
import { HOST, RealisticHost, linkLocalOf, runAttacks, type AttackResult, type HostEffects } from './realistic-host.js';

/**
 * "A sealed host": on the userspace datapath the host end of every workload veth is both an OVS
 * port and a live interface of the host's IP stack, so whatever a workload sends reaches the host
 * stack before (and regardless of) the switch's port security. The attacker here has root in its
 * own namespace and crafts frames with scapy.
 *
 * Two identical realistic hosts (see RealisticHost): one is the OVS sandbox's host namespace with
 * the attacker plugged by the real agent; the other, the positive control, has the same attacker
 * (same address) on a plain veth whose host end is simply up, with no nsvswitch. Every attack runs
 * once against each, in parallel; each measure must be > 0 on the control (the attack works where
 * nsvswitch is absent, so the zero is not vacuous) and 0 with nsvswitch.
 *
 * Measured where the host stack would show it — its sockets (UDP services, DHCP client port, TCP
 * half-open and accepted connections), neighbour, address and route tables, an accept-only counter
 * in its own input hook, and the upstream router's ingress — never with tcpdump on the host end,
 * which sees frames at the packet tap, before any ingress hook drops them.
 */

const ATTACKS = [
  'arp', 'udp4', 'udp4-bcast', 'udp4-other', 'udp6-allnodes', 'udp6-ll', 'udp6-global',
  'tcp4', 'tcp6-global', 'tcp6-ll', 'tcp6-ll-connect', 'dhcp', 'vlan0', 'qinq', 'spoof4', 'spoof6',
  // Last: a rogue default route on the host would steer the IPv6 forwarding measure above.
  'ra',
] as const;

interface Outcome {
  readonly attack: AttackResult;
  readonly effects: HostEffects;
}

/** One number per attack effect; what each attack is counted by. */
const MEASURES: readonly { readonly name: string; readonly get: (o: Outcome) => number }[] = [
  { name: 'ARP: replies for the host uplink address', get: (o) => o.attack.arpReplies[HOST.ip4] ?? 0 },
  { name: 'ARP: replies for another host address', get: (o) => o.attack.arpReplies[HOST.other4] ?? 0 },
  { name: 'ARP: host learnt the workload as a neighbour on the veth', get: (o) => o.effects.neighboursLearnt },
  { name: 'UDP/IPv4 to the host uplink address: datagrams at the host service', get: (o) => o.effects.udpByAttack['udp4'] ?? 0 },
  { name: 'UDP/IPv4 limited broadcast: datagrams at the host service', get: (o) => o.effects.udpByAttack['udp4-bcast'] ?? 0 },
  { name: 'UDP/IPv4 to another host address: datagrams at the host service', get: (o) => o.effects.udpByAttack['udp4-other'] ?? 0 },
  { name: 'UDP/IPv6 to ff02::1 from link-local: datagrams at the host service', get: (o) => o.effects.udpByAttack['udp6-allnodes'] ?? 0 },
  { name: 'UDP/IPv6 to the host end link-local: datagrams at the host service', get: (o) => o.effects.udpByAttack['udp6-ll'] ?? 0 },
  { name: 'UDP/IPv6 to the uplink IPv6 address: datagrams at the host service', get: (o) => o.effects.udpByAttack['udp6-global'] ?? 0 },
  { name: 'TCP/IPv4 SYN to the uplink address: SYNs the host input took', get: (o) => o.effects.synIn.syn_tcp4 },
  { name: 'TCP/IPv4 SYN to the uplink address: half-open connections at the host service', get: (o) => o.effects.synRecv.tcp4 },
  { name: 'TCP/IPv4 SYN to the uplink address: SYN-ACKs the host sent upstream', get: (o) => o.effects.upstream.synack4 },
  { name: 'TCP/IPv6 SYN to the uplink IPv6 address: SYNs the host input took', get: (o) => o.effects.synIn.syn_tcp6_global },
  { name: 'TCP/IPv6 SYN to the uplink IPv6 address: half-open connections at the host service', get: (o) => o.effects.synRecv.tcp6Global },
  { name: 'TCP/IPv6 SYN to the host end link-local: SYNs the host input took', get: (o) => o.effects.synIn.syn_tcp6_ll },
  { name: 'TCP/IPv6 SYN to the host end link-local: half-open connections at the host service', get: (o) => o.effects.synRecv.tcp6Ll },
  { name: 'TCP/IPv6 link-local connect: data the host service received', get: (o) => (o.effects.tcpDataByAttack['tcp6-ll-connect'] ?? 0) + o.attack.tcpConnected },
  { name: 'DHCPOFFER/ACK from the workload: datagrams at the host DHCP client port', get: (o) => o.effects.dhcpClient },
  { name: '802.1Q priority-tagged (VID 0) UDP: datagrams at the host service', get: (o) => o.effects.udpByAttack['vlan0'] ?? 0 },
  { name: 'QinQ (802.1ad VID 0 + 802.1Q VID 0) UDP: datagrams at the host service', get: (o) => o.effects.udpByAttack['qinq'] ?? 0 },
  { name: 'IPv4 with another tenant\'s source: packets forwarded upstream', get: (o) => o.effects.upstream.fwd4_tenant },
  { name: 'IPv4 with an arbitrary source: packets forwarded upstream', get: (o) => o.effects.upstream.fwd4_arbitrary },
  { name: 'IPv6 with a spoofed source: packets forwarded upstream', get: (o) => o.effects.upstream.fwd6 },
  { name: 'Router Advertisement: host SLAAC addresses in the rogue prefix', get: (o) => o.effects.slaacAddrs },
  { name: 'Router Advertisement: extra IPv6 default routes on the host', get: (o) => o.effects.extraDefaultRoutes6 },
  { name: 'Router Advertisement: routes the host took from RAs', get: (o) => o.effects.raRoutes },
];

/** Waits until `ifName` in `ns` has a link-local address that finished duplicate address detection. */
async function linkLocalReady(ns: string, ifName: string): Promise<void> {
  await eventually(`${ifName} link-local ready`, async () => {
    const r = await run('ip', ['-j', '-6', 'addr', 'show', 'dev', ifName], { netns: ns });
    const rows = JSON.parse(r.stdout || '[]') as { addr_info?: { local: string; scope: string; tentative?: boolean }[] }[];
    const ll = rows.flatMap((x) => x.addr_info ?? []).filter((a) => a.scope === 'link');
    return ll.length > 0 && ll.every((a) => !a.tentative);
  }, 10_000, 100);
}

async function macOf(ns: string, ifName: string): Promise<string> {
  const r = await run('ip', ['-j', 'link', 'show', 'dev', ifName], { netns: ns });
  const mac = (JSON.parse(r.stdout) as { address?: string }[])[0]?.address;
  if (!mac) throw new Error(`no MAC for ${ifName}`);
  return mac;
}

describe('a sealed host: a workload attacks the host behind its veth', () => {
  let env: AgentEnv | undefined;
  let agent: Agent | undefined;
  let work: string | undefined;
  let nsDir: PrivateNetnsDir | undefined;
  const hosts: RealisticHost[] = [];
  let control: Outcome;
  let nsv: Outcome;

  beforeAll(async () => {
    env = await AgentEnv.start('host-attacks');
    work = await mkdtemp(join(process.env.NSVS_TEST_ROOT ?? tmpdir(), 'nsvs-host-attacks-'));
    nsDir = await PrivateNetnsDir.create(join(work, 'netns'));
    await nsDir.add('nsv-upstream', 'ctl-host', 'ctl-upstream', 'ctl-attacker');
    const ctlHostNs = nsDir.path('ctl-host');
    const ctlAttackerNs = nsDir.path('ctl-attacker');
    // The host is built (sysctls included) before the agent plugs anything, as on a real machine.
    const [nsvHost, ctlHost] = await Promise.all([
      RealisticHost.build(env.sb.hostNetns, nsDir.path('nsv-upstream'), work, 'nsv'),
      RealisticHost.build(ctlHostNs, nsDir.path('ctl-upstream'), work, 'ctl'),
    ]);
    hosts.push(nsvHost, ctlHost);

    await env.writeManifest('tenants.yaml', [
      tenantYaml('attacker', 600, '10.60.0.0/24', ['atk-*'], '  interface: { name: eth0 }\n'),
      tenantYaml('victim', 610, '10.61.0.0/24', ['victim-*'], '  interface: { name: eth0 }\n'),
    ].join('---\n'));
    await env.workloads.add('atk-1', 'victim-1');
    agent = await Agent.start(env.config(), { logger: silentLogger(), http: false });
    const rows = await eventually('2 ready ports', async () => {
      const o = await env!.ownedInterfaces();
      return o.length === 2 && o.every((i) => i.ids['nsvswitch-installed'] === 'true') && o;
    });
    const atkRow = rows.find((r) => r.ids['nsvswitch-tenant'] === 'attacker')!;
    const victimIp = rows.find((r) => r.ids['nsvswitch-tenant'] === 'victim')!.ids['nsvswitch-ip']!.split('/')[0]!;
    const atkIp = atkRow.ids['nsvswitch-ip']!.split('/')[0]!;
    const nsvVeth = atkRow.name;

    // The control: the same attacker (same address) on a plain veth into the control host.
    await run('ip', ['link', 'add', 'ctlv0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ctlAttackerNs], { netns: ctlHostNs });
    await run('ip', ['-batch', '-'], { netns: ctlAttackerNs, input: `link set dev lo up\naddr add ${atkIp}/24 dev eth0\nlink set dev eth0 up\n` });
    await run('ip', ['link', 'set', 'dev', 'ctlv0', 'up'], { netns: ctlHostNs });

    await Promise.all([
      ...hosts.map((h) => h.startServices()),
      // The attacker's own stack connects from its link-local address; the control host answers on its.
      linkLocalReady(env.workloads.path('atk-1'), 'eth0'),
      linkLocalReady(ctlAttackerNs, 'eth0'),
      linkLocalReady(ctlHostNs, 'ctlv0'),
    ]);

    // Both hosts' services answer their own network, so a zero below is the attack failing, not the instrument.
    await Promise.all(hosts.map((h) => h.probeFromUpstream()));
    const [ctlMac, nsvMac] = await Promise.all([macOf(ctlHostNs, 'ctlv0'), macOf(env.sb.hostNetns, nsvVeth)]);
    const common = { iface: 'eth0', srcIp4: atkIp, otherTenantIp4: victimIp, attacks: ATTACKS };
    const [ctlAttack, nsvAttack] = await Promise.all([
      runAttacks({ ...common, ns: ctlAttackerNs, hostMac: ctlMac }),
      runAttacks({ ...common, ns: env.workloads.path('atk-1'), hostMac: nsvMac }),
    ]);
    const [ctlEffects, nsvEffects] = await Promise.all([ctlHost.effects('ctlv0'), nsvHost.effects(nsvVeth)]);
    control = { attack: ctlAttack, effects: ctlEffects };
    nsv = { attack: nsvAttack, effects: nsvEffects };
    const table = MEASURES.map((m) => `  ${String(m.get(control)).padStart(3)} | ${String(m.get(nsv)).padStart(3)} | ${m.name}`);
    console.log(`[host-attacks] control | nsvswitch | measure (host end ${nsvVeth}, link-local ${linkLocalOf(nsvMac)})\n${table.join('\n')}`);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.stop().catch(() => undefined)));
    await agent?.stop().catch(() => undefined);
    await nsDir?.destroy().catch(() => undefined);
    if (work) await rm(work, { recursive: true, force: true });
    await env?.stop();
  });

  it('the instruments work on both hosts: the services got the upstream router\'s probes (IPv4 and IPv6)', () => {
    for (const o of [control, nsv]) {
      expect(o.effects.udpByAttack['upstream-probe4']).toBe(1);
      expect(o.effects.udpByAttack['upstream-probe6']).toBe(1);
    }
  });

  it('sent every attack on both paths', () => {
    for (const a of ATTACKS) {
      expect(control.attack.sent[a], `control: ${a}`).toBeGreaterThan(0);
      expect(nsv.attack.sent[a], `nsvswitch: ${a}`).toBe(control.attack.sent[a]);
    }
  });

  describe('positive control: each attack works on a plain veth into the host', () => {
    it.each(MEASURES.map((m) => [m.name, m] as const))('%s', (_name, m) => {
      expect(m.get(control)).toBeGreaterThan(0);
    });
  });

  describe('with nsvswitch: nothing reaches the host', () => {
    it.each(MEASURES.map((m) => [m.name, m] as const))('%s', (_name, m) => {
      expect(m.get(nsv)).toBe(0);
    });
  });
});
