import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Category, FLOWS_PER_PORT, Table, UNTAGGED, baseFlows, decodeCookie, isOurCookie, pipelineFlows, portFlows, tenantFlows, type FlowPort } from '../../../../src/core/pipeline/index.js';
import { diffFlows, flowKey, parseDumpFlows, type Flow } from '../../../../src/openflow/index.js';
import { canonicalMatch } from '../../../../src/openflow/canonical-match.js';

function port(ofport: number, tenantId: number): FlowPort {
  const h = ofport.toString(16).padStart(4, '0');
  return { portName: `nsv${ofport}`, ofport, mac: `02:00:00:00:${h.slice(0, 2)}:${h.slice(2)}`, ip: `10.${tenantId % 256}.${ofport >> 8}.${ofport & 255}`, tenantId, tenant: `t${tenantId}` };
}

/** Ports 1..n spread over `tenants` tenants (ids 100, 101, ...). */
function ports(n: number, tenants: number): FlowPort[] {
  return Array.from({ length: n }, (_, i) => port(i + 1, 100 + (i % tenants)));
}

function outputs(f: Flow): number[] {
  return [...f.actions.matchAll(/output:(\d+)/g)].map((m) => Number(m[1]));
}

describe('pipelineFlows', () => {
  it('is base flows + FLOWS_PER_PORT per port + one flood flow per tenant, for any mix of ports', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 20 }), (n, t) => {
        const flows = pipelineFlows(ports(n, t));
        expect(flows).toHaveLength(baseFlows().length + FLOWS_PER_PORT * n + Math.min(n, t));
      }),
      { numRuns: 50 },
    );
  });

  it('gives every port the same number of flows, whatever the size of its tenant', () => {
    for (const p of [port(1, 5), port(4000, 16777215)]) expect(portFlows(p)).toHaveLength(FLOWS_PER_PORT);
  });

  it('lists each tenant port exactly once in its flood flow, and nothing else', () => {
    const all = ports(30, 3);
    for (const f of pipelineFlows(all).filter((x) => decodeCookie(x.cookie).category === Category.l2Flood)) {
      const tenantId = decodeCookie(f.cookie).tenantId;
      expect(outputs(f)).toEqual(all.filter((p) => p.tenantId === tenantId).map((p) => p.ofport));
    }
    expect(tenantFlows(7, [])).toEqual([]);
  });

  it('never outputs a tenant\'s packet to another tenant\'s port', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 9 }), (n, t) => {
        const all = ports(n, t);
        const tenantOf = new Map(all.map((p) => [p.ofport, p.tenantId]));
        for (const f of pipelineFlows(all)) {
          const md = /metadata=0x([0-9a-f]+)/.exec(f.match);
          const written = /write_metadata:0x([0-9a-f]+)/.exec(f.actions);
          const inPort = /in_port=(\d+)/.exec(f.match);
          // Classification writes the in_port's own tenant.
          if (written && inPort) expect(parseInt(written[1]!, 16)).toBe(tenantOf.get(Number(inPort[1])));
          // Every output is behind a metadata match of the output port's tenant.
          for (const o of outputs(f)) {
            expect(md, `flow ${f.match} outputs without a tenant match`).not.toBeNull();
            expect(tenantOf.get(o)).toBe(parseInt(md![1]!, 16));
          }
          // Cookie names the tenant the flow belongs to (0 = shared).
          if (md) expect(decodeCookie(f.cookie).tenantId).toBe(parseInt(md[1]!, 16));
          expect(isOurCookie(f.cookie)).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('admits from a port only its own MAC with its own IPv4, or ARP with its own sender MAC and IP', () => {
    const p = port(9, 42);
    const classify = portFlows(p).filter((f) => f.table === Table.classify);
    const allow = classify.filter((f) => f.actions.includes('goto_table'));
    expect(allow.map((f) => f.match)).toEqual([
      `ip,in_port=9,vlan_tci=0x0000/0x1fff,dl_src=${p.mac},nw_src=${p.ip}`,
      `arp,in_port=9,vlan_tci=0x0000/0x1fff,dl_src=${p.mac},arp_spa=${p.ip},arp_sha=${p.mac}`,
    ]);
    const spoofDrop = classify.find((f) => decodeCookie(f.cookie).category === Category.portSpoofDrop);
    expect(spoofDrop).toMatchObject({ match: 'in_port=9', actions: 'drop' });
    expect(spoofDrop!.priority).toBeLessThan(allow[0]!.priority);
  });

  it('lets only untagged frames of IPv4 or ARP past classification, from any port (VLAN, QinQ, priority tags and other ethertypes hit a drop)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 9 }), (n, t) => {
        const classify = pipelineFlows(ports(n, t)).filter((f) => f.table === Table.classify);
        const passing = classify.filter((f) => f.actions !== 'drop');
        expect(passing).toHaveLength(2 * n);
        for (const f of passing) {
          const fields = canonicalMatch(f.match).split(',');
          // vlan_tci 0 under mask 0x1fff: no 802.1Q/802.1ad header (OVS sets 0x1000 for any tag, VID 0 included).
          expect(fields, f.match).toContain('vlan_tci=0/8191');
          expect(fields.includes('dl_type=2048') || fields.includes('dl_type=2054'), `${f.match}: IPv4 or ARP only`).toBe(true);
          expect(fields.some((x) => x.startsWith('in_port='))).toBe(true);
        }
      }),
      { numRuns: 30 },
    );
    expect(UNTAGGED).toBe('vlan_tci=0x0000/0x1fff');
  });

  it('writes the allow flows exactly the way OVS 3.1 prints them back, so a resync changes nothing', () => {
    // Verbatim `ovs-ofctl -O OpenFlow15 --no-stats dump-flows` lines after installing portFlows(p).
    const p: FlowPort = { portName: 'vvl00', ofport: 1, mac: '02:00:00:0b:00:00', ip: '10.11.0.10', tenantId: 11, tenant: 'red' };
    const dumped = parseDumpFlows([
      ' cookie=0x6e7300000b000010, priority=100,ip,in_port=1,vlan_tci=0x0000/0x1fff,dl_src=02:00:00:0b:00:00,nw_src=10.11.0.10 actions=write_metadata:0xb,goto_table:20',
      ' cookie=0x6e7300000b000011, priority=100,arp,in_port=1,vlan_tci=0x0000/0x1fff,dl_src=02:00:00:0b:00:00,arp_spa=10.11.0.10,arp_sha=02:00:00:0b:00:00 actions=write_metadata:0xb,goto_table:10',
    ].join('\n'));
    const allow = portFlows(p).filter((f) => f.table === Table.classify && f.actions !== 'drop');
    expect(diffFlows(allow, dumped)).toEqual({ add: [], modify: [], del: [], duplicates: [] });
    // The same flows without the VLAN condition are different flows: an old install is replaced, not kept.
    const untaggedless = dumped.map((f) => ({ ...f, match: f.match.replace(',vlan_tci=0x0000/0x1fff', '') }));
    expect(diffFlows(allow, untaggedless).modify).toEqual([]);
    expect(diffFlows(allow, untaggedless).add).toHaveLength(2);
    expect(diffFlows(allow, untaggedless).del).toHaveLength(2);
  });

  it('drops IPv6 from every port, ahead of the spoofing rule so traces name the policy', () => {
    const v6 = baseFlows().find((f) => f.match === 'ipv6');
    expect(v6).toMatchObject({ table: Table.classify, actions: 'drop' });
    const spoofDrop = portFlows(port(1, 1)).find((f) => decodeCookie(f.cookie).category === Category.portSpoofDrop)!;
    expect(v6!.priority).toBeGreaterThan(spoofDrop.priority);
  });

  it('touches only the changed tenant\'s flows when a port joins it', () => {
    const before = ports(60, 3);
    const joined = [...before, port(61, 101)];
    const d = diffFlows(pipelineFlows(joined), pipelineFlows(before));
    expect(d.del).toEqual([]);
    expect(d.add).toHaveLength(FLOWS_PER_PORT);
    expect(d.modify).toHaveLength(1); // the tenant's flood flow
    for (const f of [...d.add, ...d.modify]) expect(decodeCookie(f.cookie).tenantId).toBe(101);
  });

  it('leaves out ports OVS has not numbered yet, and is independent of input order', () => {
    const all = ports(10, 2);
    const withPending = [...all, { ...port(11, 100), ofport: -1 }, { ...port(12, 100), ofport: 0 }];
    expect(pipelineFlows(withPending)).toEqual(pipelineFlows(all));
    expect(pipelineFlows([...all].reverse())).toEqual(pipelineFlows(all));
  });

  it('yields no two flows with the same OpenFlow identity when MACs and IPs are distinct', () => {
    const flows = pipelineFlows(ports(200, 7));
    expect(new Set(flows.map(flowKey)).size).toBe(flows.length);
  });
});
