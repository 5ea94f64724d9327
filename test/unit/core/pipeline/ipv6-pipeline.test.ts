import { describe, expect, it } from 'vitest';
import { Category, FLOWS_PER_PORT, IPV6_BASE_FLOWS, IPV6_FLOWS_PER_PORT, Table, baseFlows, decodeCookie, pipelineFlows, type FlowPort } from '../../../../src/core/pipeline/index.js';
import { eui64LinkLocal } from '../../../../src/net/index.js';

const port = (o: number, tenantId: number, ip6?: string): FlowPort => ({
  portName: `p${o}`, ofport: o, mac: `02:00:00:00:00:0${o}`, ip: `10.0.${tenantId}.${o}`, tenantId, tenant: `t${tenantId}`, ...(ip6 ? { ip6 } : {}),
});

describe('pipeline: dual-stack ports', () => {
  const v4 = [port(1, 5), port(2, 5), port(3, 6)];
  const dual = [port(1, 5, 'fd00:5::1'), port(2, 5, 'fd00:5::2'), port(3, 6, 'fd00:6::3')];

  it('leaves an IPv4-only pipeline exactly as it was (no IPv6 table, IPv6 dropped by one bridge flow)', () => {
    const flows = pipelineFlows(v4);
    expect(flows).toHaveLength(baseFlows().length + 3 * FLOWS_PER_PORT + 2);
    expect(flows.filter((f) => f.table === Table.ndGuard || f.table === Table.ndResponder || f.table === Table.ndReply)).toEqual([]);
    expect(flows.some((f) => /ipv6_src|icmp6|udp6/.test(f.match))).toBe(false);
  });

  it('adds IPV6_FLOWS_PER_PORT per dual-stack port and IPV6_BASE_FLOWS once (one fewer without the ND answers)', () => {
    expect(pipelineFlows(dual)).toHaveLength(baseFlows().length + 3 * (FLOWS_PER_PORT + IPV6_FLOWS_PER_PORT) + 2 + IPV6_BASE_FLOWS);
    expect(pipelineFlows(dual, [], { ndResponder: false })).toHaveLength(baseFlows().length + 3 * (FLOWS_PER_PORT + IPV6_FLOWS_PER_PORT) + 2 + IPV6_BASE_FLOWS - 1);
    // Mixed: only the dual-stack port grows.
    expect(pipelineFlows([port(1, 5, 'fd00:5::1'), port(2, 5)])).toHaveLength(baseFlows().length + 2 * FLOWS_PER_PORT + IPV6_FLOWS_PER_PORT + 1 + IPV6_BASE_FLOWS);
  });

  it('lets a port send IPv6 only from its own MAC and its own global and EUI-64 link-local addresses, untagged', () => {
    const allow = pipelineFlows(dual).filter((f) => f.table === Table.classify && decodeCookie(f.cookie).category === Category.portIp6);
    expect(allow.map((f) => f.match)).toEqual(dual.flatMap((p) => [p.ip6!, eui64LinkLocal(p.mac)].map((a) => `ipv6,in_port=${p.ofport},vlan_tci=0x0000/0x1fff,dl_src=${p.mac},ipv6_src=${a}`)));
    for (const f of allow) expect(f.actions).toMatch(new RegExp(`^write_metadata:0x${decodeCookie(f.cookie).tenantId.toString(16)},goto_table:${Table.ndGuard}$`));
    // Whatever else IPv6 comes from a dual-stack port is spoofing, decided above the bridge's IPv6 drop.
    const spoof = pipelineFlows(dual).filter((f) => f.match === 'ipv6,in_port=1');
    expect(spoof).toMatchObject([{ priority: 70, actions: 'drop' }]);
    expect(decodeCookie(spoof[0]!.cookie).category).toBe(Category.portSpoofDrop);
  });

  it('guards neighbour discovery: NA only for own targets with own MAC, NS only with own MAC, all other NS/NA dropped', () => {
    const guard = pipelineFlows(dual).filter((f) => f.table === Table.ndGuard);
    const p1 = dual[0]!;
    expect(guard.filter((f) => f.match.includes('in_port=1,')).map((f) => f.match)).toEqual([
      `icmp6,in_port=1,icmp_type=136,nd_target=${p1.ip6},nd_tll=${p1.mac}`,
      `icmp6,in_port=1,icmp_type=136,nd_target=${eui64LinkLocal(p1.mac)},nd_tll=${p1.mac}`,
      `icmp6,in_port=1,icmp_type=135,nd_sll=${p1.mac}`,
    ]);
    expect(guard.filter((f) => f.actions === 'drop').map((f) => f.match).sort()).toEqual(['icmp6,icmp_type=135', 'icmp6,icmp_type=136']);
    // Without the switch's answers, owners answer unicast probes without a link-layer option too.
    const owners = pipelineFlows(dual, [], { ndResponder: false }).filter((f) => f.table === Table.ndGuard && f.match.includes('in_port=1,'));
    expect(owners.map((f) => f.match)).toContain(`icmp6,in_port=1,icmp_type=136,nd_target=${p1.ip6},nd_tll=00:00:00:00:00:00`);
  });

  it('drops router advertisements, redirects and DHCPv6 server messages from every port, above every allow flow', () => {
    const drops = pipelineFlows(dual).filter((f) => f.table === Table.classify && f.priority === 110 && f.actions === 'drop').map((f) => f.match);
    expect(drops).toEqual(expect.arrayContaining(['icmp6,icmp_type=134', 'icmp6,icmp_type=137', 'udp6,tp_src=547']));
  });

  it('answers a solicitation for a tenant address inside that tenant only, turned into an NA sent back where it came from', () => {
    const flows = pipelineFlows(dual);
    const answers = flows.filter((f) => f.table === Table.ndResponder && f.priority > 0);
    expect(answers).toHaveLength(6);
    for (const f of answers) {
      const t = decodeCookie(f.cookie).tenantId;
      expect(f.match).toMatch(new RegExp(`^icmp6,metadata=0x${t.toString(16)},icmp_type=135,nd_target=`));
      expect(f.actions).toContain('set_field:136->icmpv6_type');
      expect(f.actions).toContain('set_field:1610612736->nd_reserved');
      expect(f.actions).toContain('set_field:2->nd_options_type');
      expect(f.actions.endsWith(`goto_table:${Table.ndReply}`)).toBe(true);
    }
    expect(flows.filter((f) => f.table === Table.ndReply)).toMatchObject([{ match: 'icmp6,icmp_type=136', actions: 'move:NXM_OF_ETH_SRC[]->NXM_NX_ND_TLL[],IN_PORT' }]);
    // No flow of one tenant names another tenant's port or metadata.
    for (const f of flows.filter((x) => decodeCookie(x.cookie).tenantId === 5)) expect(f.match + f.actions).not.toMatch(/in_port=3\b|output:3\b|metadata=0x6\b/);
  });
});
