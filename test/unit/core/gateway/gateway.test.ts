import { describe, expect, it } from 'vitest';
import { desiredGateways, gatewayMac, gatewayName, isGatewayName } from '../../../../src/core/gateway/desired-gateways.js';
import { gatewayRecord, ownedGateways, planGateways, subnetOfAddress, type OwnedGateway } from '../../../../src/core/gateway/owned-gateways.js';
import { ownedPorts } from '../../../../src/core/owned-ports.js';
import { Category, FLOWS_PER_GATEWAY, baseFlows, decodeCookie, gatewayFlows, pipelineFlows, type FlowPort, type GatewayFlowPort } from '../../../../src/core/pipeline/index.js';
import type { Tenant, TenantEgress } from '../../../../src/manifests/types.js';

function tenant(name: string, id: number, n: number, egress?: Partial<TenantEgress>, gateway = true): Tenant {
  return {
    name, id, subnet: `10.${n}.0.0/24`, ...(gateway ? { gateway: `10.${n}.0.1` } : {}), namespaces: [`${name}-*`],
    interface: { name: 'eth0', mtu: 1500 }, staticAddresses: {}, source: { file: 'f.yaml', line: 1 },
    ...(egress ? { egress: { snat: true, allowTenants: [], hostServices: [], ...egress } } : {}),
  };
}
const set = (...ts: Tenant[]) => new Map(ts.map((t) => [t.name, t]));

describe('tenant gateways: desired state', () => {
  it('one per tenant with a gateway, with derived name and MAC, defaults snat on', () => {
    const gws = desiredGateways(set(tenant('b', 2, 2), tenant('a', 1, 1), tenant('c', 3, 3, undefined, false)), 'br-nsv');
    expect(gws.map((g) => g.tenant)).toEqual(['a', 'b']);
    expect(gws[0]).toMatchObject({ ip: '10.1.0.1', prefixLen: 24, subnet: '10.1.0.0/24', snat: true, peers: [], hostServices: [], mac: '0a:00:00:00:00:01' });
    expect(isGatewayName(gws[0]!.name)).toBe(true);
    expect(gatewayName('br-nsv', 1)).not.toBe(gatewayName('br-other', 1));
    expect(gatewayMac(0xabcdef)).toBe('0a:00:00:ab:cd:ef');
  });

  it('a tenant pair is allowed only when both list each other', () => {
    const oneSided = desiredGateways(set(tenant('a', 1, 1, { allowTenants: ['b'] }), tenant('b', 2, 2)), 'br');
    expect(oneSided.every((g) => g.peers.length === 0)).toBe(true);
    const both = desiredGateways(set(tenant('a', 1, 1, { allowTenants: ['b'] }), tenant('b', 2, 2, { allowTenants: ['a'] })), 'br');
    expect(both.map((g) => g.peers.map((p) => p.tenant))).toEqual([['b'], ['a']]);
    // A peer without a gateway cannot be reached through one.
    expect(desiredGateways(set(tenant('a', 1, 1, { allowTenants: ['b'] }), tenant('b', 2, 2, { allowTenants: ['a'] }, false)), 'br')[0]!.peers).toEqual([]);
  });

  it('records round-trip; the plan keeps a matching gateway, replaces a changed one, removes a gone one; workload readers skip gateways', () => {
    const [ga, gb] = desiredGateways(set(tenant('a', 1, 1), tenant('b', 2, 2)), 'br');
    const rec = gatewayRecord(ga!);
    const db = {
      bridges: new Map([['br', { name: 'br', ports: ['p1'] }]]),
      ports: new Map([['p1', { _uuid: 'p1', name: ga!.name, interfaces: ['i1'], external_ids: rec.port }]]),
      interfaces: new Map([['i1', { _uuid: 'i1', name: ga!.name, ofport: 7, external_ids: rec.iface }]]),
    };
    const owned = ownedGateways(db, 'br');
    expect(owned).toEqual([{ portUuid: 'p1', ifaceUuid: 'i1', name: ga!.name, tenant: 'a', tenantId: 1, cidr: '10.1.0.1/24', mac: ga!.mac, ofport: 7 }]);
    expect(ownedPorts(db, 'br')).toEqual({ owned: [], broken: [] });
    expect(planGateways([ga!, gb!], owned)).toMatchObject({ keep: owned, remove: [], add: [gb] });
    const moved: OwnedGateway = { ...owned[0]!, cidr: '10.1.0.9/24' };
    expect(planGateways([ga!], [moved])).toMatchObject({ keep: [], remove: [moved], add: [ga] });
    expect(planGateways([], owned)).toMatchObject({ remove: owned, add: [] });
    expect(subnetOfAddress('10.1.0.9/24')).toBe('10.1.0.0/24');
  });

  it('reads a snapshot once per bridge (snapshots are immutable), and a new snapshot again', () => {
    const [ga] = desiredGateways(set(tenant('a', 1, 1)), 'br');
    const rec = gatewayRecord(ga!);
    const snap = (ofport: number) => ({
      bridges: new Map([['br', { name: 'br', ports: ['p1'] }]]),
      ports: new Map([['p1', { _uuid: 'p1', name: ga!.name, interfaces: ['i1'], external_ids: rec.port }]]),
      interfaces: new Map([['i1', { _uuid: 'i1', name: ga!.name, ofport, external_ids: rec.iface }]]),
    });
    const first = snap(7);
    expect(ownedGateways(first, 'br')).toBe(ownedGateways(first, 'br'));
    expect(ownedGateways(first, 'other')).toEqual([]);
    expect(ownedGateways(snap(8), 'br')[0]!.ofport).toBe(8);
  });
});

describe('tenant gateways: flows', () => {
  const gw: GatewayFlowPort = { portName: 'nsg0', ofport: 3, mac: '0a:00:00:00:00:01', ip: '10.1.0.1', tenantId: 1, tenant: 'a' };
  const port: FlowPort = { portName: 'nsv0', ofport: 4, mac: '02:00:00:00:00:04', ip: '10.1.0.2', tenantId: 1, tenant: 'a' };

  it('FLOWS_PER_GATEWAY flows: any source from its own MAC, ARP only as itself, answered and delivered in its tenant; not flooded to', () => {
    const f = gatewayFlows(gw);
    expect(f).toHaveLength(FLOWS_PER_GATEWAY);
    expect(f[0]!.match).toBe('ip,in_port=3,vlan_tci=0x0000/0x1fff,dl_src=0a:00:00:00:00:01');
    expect(decodeCookie(f[0]!.cookie).category).toBe(Category.gatewayIp);
    const all = pipelineFlows([port], [gw]);
    expect(all).toHaveLength(baseFlows().length + 5 + FLOWS_PER_GATEWAY + 1);
    const flood = all.find((x) => decodeCookie(x.cookie).category === Category.l2Flood)!;
    expect(flood.actions).toBe('output:4');
  });

  it('drops DHCP server messages from every port, above the allow flows', () => {
    const d = baseFlows().find((x) => x.match === 'udp,tp_src=67')!;
    expect(d.actions).toBe('drop');
    expect(d.priority).toBeGreaterThan(gatewayFlows(gw)[0]!.priority);
  });
});
