import { describe, expect, it } from 'vitest';
import { gatewayRuleset, gatewayTableName, parseGatewayCounters, parseGatewayTable, replaceScript, withCanon } from '../../../src/plumbing/gateway/gateway-nft-text.js';
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
    expect(r.body).toContain('oifname "nsgbbbbbbbbbbbb" counter name "t1_drop_egress" drop');
    expect(replaceScript(r).split('\n').slice(0, 2)).toEqual(['add table inet nsvswitch_gw_br_nsv', 'delete table inet nsvswitch_gw_br_nsv']);
    // Order of input does not matter; any change of policy changes the fingerprint.
    expect(gatewayRuleset('t', [A, B]).fingerprint).toBe(gatewayRuleset('t', [B, A]).fingerprint);
    expect(gatewayRuleset('t', [A, { ...B, snat: true }]).fingerprint).not.toBe(gatewayRuleset('t', [A, B]).fingerprint);
  });

  it('allowed peers are accepted before the cross-tenant drops', () => {
    const r = gatewayRuleset('t', [{ ...A, peers: [{ ifName: B.ifName, subnet: B.subnet }] }, { ...B, peers: [{ ifName: A.ifName, subnet: A.subnet }] }]);
    const out = r.body.slice(r.body.indexOf('chain t1_out'));
    expect(out.indexOf('oifname "nsgbbbbbbbbbbbb" ip daddr 10.2.0.0/24 counter name "t1_egress" accept')).toBeGreaterThan(0);
    expect(out.indexOf('oifname "nsgbbbbbbbbbbbb" ip daddr 10.2.0.0/24 counter name "t1_egress" accept')).toBeLessThan(out.indexOf('oifname "nsgbbbbbbbbbbbb" counter name "t1_drop_egress" drop'));
    expect(r.body).toContain('iifname "nsgbbbbbbbbbbbb" ip saddr 10.2.0.0/24 counter name "t1_ingress" accept');
  });

  it('refuses unsafe names and values', () => {
    expect(() => gatewayRuleset('t', [{ ...A, ifName: 'x" drop; #' }])).toThrow(TypeError);
    expect(() => gatewayRuleset('t', [{ ...A, subnet: '10.1.0.0/24 } accept' }])).toThrow(TypeError);
    expect(() => gatewayRuleset('t;x', [A])).toThrow(TypeError);
  });

  it('reads back fingerprint and recorded hash; the listing of an untouched table hashes to it, an edited one does not', () => {
    const r = gatewayRuleset('t', [A, B]);
    // nft prints tabs and blank lines between blocks: neither counts.
    const listed = r.body.replaceAll('  ', '\t').replaceAll('\t}\n', '\t}\n\n');
    expect(parseGatewayTable(listed)).toEqual({ fingerprint: r.fingerprint, recordedCanon: r.canon, canon: r.canon, chains: r.chains, rules: r.rules });
    const edits = [
      listed.replace('drop_host" drop\n\t}', 'drop_host" accept\n\t}'),
      listed.replace('policy accept;', 'policy drop;'),
      listed.replace(`comment "nsvswitch ${r.fingerprint} ${r.canon}"`, `flags dormant\n\tcomment "nsvswitch ${r.fingerprint} ${r.canon}"`),
      listed.replace('\t\tct state established,related accept\n', ''),
    ];
    for (const e of edits) {
      expect(e).not.toBe(listed);
      const p = parseGatewayTable(e);
      expect(p.fingerprint).toBe(r.fingerprint);
      expect(p.canon).not.toBe(p.recordedCanon);
    }
    // Another nft's listing can be recorded as the canonical one.
    expect(withCanon(r, '0123456789abcdef').body).toContain(`comment "nsvswitch ${r.fingerprint} 0123456789abcdef"`);
    expect(() => withCanon(r, 'x"; flush ruleset')).toThrow(TypeError);
  });

  it('counts every verdict of a tenant in its named counters, and reads them back by tenant id', () => {
    const r = gatewayRuleset('t', [A, B]);
    expect(r.body).toContain('counter t1_egress {');
    expect(r.body).toContain('ip saddr != 10.1.0.0/24 counter name "t1_drop_egress" drop');
    expect(r.body).toContain('ct state established,related counter name "t2_ingress" accept');
    expect(r.body).toMatch(/counter name "t1_drop_host" drop\n {2}\}/);
    const json = JSON.stringify({ nftables: [{ metainfo: {} }, { counter: { family: 'inet', table: 't', name: 't1_egress', packets: 5, bytes: 420 } }, { counter: { name: 't1_drop_host', packets: 2, bytes: 168 } }, { counter: { name: 'foreign', packets: 1, bytes: 1 } }, { counter: { name: 't2_bogus', packets: 1, bytes: 1 } }, { counter: { name: 't2_ingress', packets: -3, bytes: 'x' } }] });
    const c = parseGatewayCounters(json);
    expect([...c.keys()]).toEqual([1, 2]);
    expect(c.get(1)?.get('egress')).toEqual({ packets: 5, bytes: 420 });
    expect(c.get(1)?.get('drop_host')).toEqual({ packets: 2, bytes: 168 });
    expect(c.get(2)?.get('ingress')).toEqual({ packets: 0, bytes: 0 });
    expect(parseGatewayCounters('').size).toBe(0);
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
