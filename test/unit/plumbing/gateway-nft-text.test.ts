import { describe, expect, it } from 'vitest';
import { gatewayRuleset, gatewayTableName, parseGatewayTable, replaceScript } from '../../../src/plumbing/gateway/gateway-nft-text.js';
import { addressLines, gatewaySysctls, parseAddrs } from '../../../src/plumbing/gateway/gateway-host.js';

const A = { tenantId: 1, ifName: 'nsgaaaaaaaaaaaa', ip: '10.1.0.1', prefixLen: 24, subnet: '10.1.0.0/24', snat: true, peers: [], hostServices: [{ protocol: 'udp' as const, port: 53 }] };
const B = { tenantId: 2, ifName: 'nsgbbbbbbbbbbbb', ip: '10.2.0.1', prefixLen: 24, subnet: '10.2.0.0/24', snat: false, peers: [], hostServices: [] };

describe('gateway nftables text', () => {
  it('filters input and forward per gateway, masquerades only snat tenants, and fingerprints the body', () => {
    const r = gatewayRuleset(gatewayTableName('br-nsv'), [B, A]);
    expect(r.table).toBe('nsvswitch_gw_br_nsv');
    expect(r.body).toContain('iifname "nsgaaaaaaaaaaaa" jump t1_host');
    expect(r.body).toContain('ip daddr 10.1.0.1 udp dport 53 accept');
    expect(r.body).toContain('ip saddr 10.1.0.0/24 ip daddr != 10.1.0.0/24 oifname != { "nsgaaaaaaaaaaaa", "nsgbbbbbbbbbbbb" } masquerade');
    expect(r.body).not.toContain('ip saddr 10.2.0.0/24 ip daddr != 10.2.0.0/24');
    expect(r.body).toContain('oifname "nsgbbbbbbbbbbbb" drop');
    expect(replaceScript(r).split('\n').slice(0, 2)).toEqual(['add table inet nsvswitch_gw_br_nsv', 'delete table inet nsvswitch_gw_br_nsv']);
    // Order of input does not matter; any change of policy changes the fingerprint.
    expect(gatewayRuleset('t', [A, B]).fingerprint).toBe(gatewayRuleset('t', [B, A]).fingerprint);
    expect(gatewayRuleset('t', [A, { ...B, snat: true }]).fingerprint).not.toBe(gatewayRuleset('t', [A, B]).fingerprint);
  });

  it('allowed peers are accepted before the cross-tenant drops', () => {
    const r = gatewayRuleset('t', [{ ...A, peers: [{ ifName: B.ifName, subnet: B.subnet }] }, { ...B, peers: [{ ifName: A.ifName, subnet: A.subnet }] }]);
    const out = r.body.slice(r.body.indexOf('chain t1_out'));
    expect(out.indexOf('oifname "nsgbbbbbbbbbbbb" ip daddr 10.2.0.0/24 accept')).toBeLessThan(out.indexOf('oifname "nsgbbbbbbbbbbbb" drop'));
    expect(r.body).toContain('iifname "nsgbbbbbbbbbbbb" ip saddr 10.2.0.0/24 accept');
  });

  it('refuses unsafe names and values', () => {
    expect(() => gatewayRuleset('t', [{ ...A, ifName: 'x" drop; #' }])).toThrow(TypeError);
    expect(() => gatewayRuleset('t', [{ ...A, subnet: '10.1.0.0/24 } accept' }])).toThrow(TypeError);
    expect(() => gatewayRuleset('t;x', [A])).toThrow(TypeError);
  });

  it('reads back fingerprint, chains and rules from nft list text', () => {
    const r = gatewayRuleset('t', [A, B]);
    // nft prints tabs and names priorities; counts and the comment are what matter.
    const listed = r.body.replaceAll('  ', '\t').replace('priority -150', 'priority mangle');
    expect(parseGatewayTable(listed)).toEqual({ fingerprint: r.fingerprint, chains: r.chains, rules: r.rules });
  });
});

describe('gateway host side (pure parts)', () => {
  it('address lines: add the missing address, drop others, bring up; report missing interfaces', () => {
    const links = parseAddrs(JSON.stringify([{ ifname: A.ifName, flags: ['BROADCAST'], addr_info: [{ family: 'inet', local: '10.1.0.7', prefixlen: 24 }] }]));
    const p = addressLines([A, B], links);
    expect(p.lines.map((l) => l.text)).toEqual([`addr del 10.1.0.7/24 dev ${A.ifName}`, `addr add 10.1.0.1/24 dev ${A.ifName}`, `link set dev ${A.ifName} up`]);
    expect(p.missing).toEqual([B.ifName]);
    const done = parseAddrs(JSON.stringify([{ ifname: A.ifName, flags: ['UP'], addr_info: [{ family: 'inet', local: '10.1.0.1', prefixlen: 24 }] }]));
    expect(addressLines([A], done).lines).toEqual([]);
  });

  it('sysctls: forwarding on, strict ARP, rp_filter, no IPv6', () => {
    expect(gatewaySysctls(A.ifName)).toContain(`net.ipv4.conf.${A.ifName}.forwarding=1`);
    expect(gatewaySysctls(A.ifName)).toContain(`net.ipv6.conf.${A.ifName}.disable_ipv6=1`);
    expect(() => gatewaySysctls('a.b')).toThrow(TypeError);
  });
});
