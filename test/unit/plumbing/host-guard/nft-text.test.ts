import { describe, expect, it } from 'vitest';
import { guardScript, guardTableName, parseGuardChains, dropTableScript } from '../../../../src/plumbing/host-guard/nft-text.js';
import { hostEndSysctls } from '../../../../src/plumbing/host-guard/sysctls.js';

describe('guardTableName', () => {
  it('is nsvswitch_ plus the bridge with anything but [A-Za-z0-9_] replaced', () => {
    expect(guardTableName('br-nsv')).toBe('nsvswitch_br_nsv');
    expect(guardTableName('br.0')).toBe('nsvswitch_br_0');
  });
});

describe('guardScript', () => {
  it('declares the table, deletes (flushed first) before it adds, one ingress-drop chain per interface', () => {
    expect(guardScript('nsvswitch_br', ['nsvaaaaaaaaaaaa'], ['nsvbbbbbbbbbbbb'])).toBe([
      'add table netdev nsvswitch_br',
      'flush chain netdev nsvswitch_br nsvbbbbbbbbbbbb',
      'delete chain netdev nsvswitch_br nsvbbbbbbbbbbbb',
      'add chain netdev nsvswitch_br nsvaaaaaaaaaaaa { type filter hook ingress device "nsvaaaaaaaaaaaa" priority -500; policy drop; }',
      '',
    ].join('\n'));
  });

  it('refuses names that could break out of the script', () => {
    expect(() => guardScript('nsvswitch_br', ['a"; flush ruleset; "'], [])).toThrow(/unsafe interface name/);
    expect(() => guardScript('nsvswitch_br', [], ['x\ny'])).toThrow(/unsafe interface name/);
    expect(() => guardScript('t; flush ruleset', [], [])).toThrow(/unsafe nftables table/);
    expect(() => dropTableScript('a b')).toThrow(/unsafe nftables table/);
  });
});

describe('parseGuardChains', () => {
  const doc = (items: unknown[]) => JSON.stringify({ nftables: [{ metainfo: { version: '1.0.6' } }, ...items] });

  it('counts ingress chains with policy drop and no rule as sealed; anything else as tampered', () => {
    const json = doc([
      { table: { family: 'netdev', name: 't' } },
      { chain: { family: 'netdev', table: 't', name: 'ok', type: 'filter', hook: 'ingress', prio: -500, policy: 'drop' } },
      { chain: { family: 'netdev', table: 't', name: 'accepting', type: 'filter', hook: 'ingress', prio: -500, policy: 'accept' } },
      { chain: { family: 'netdev', table: 't', name: 'ruled', type: 'filter', hook: 'ingress', prio: -500, policy: 'drop' } },
      { rule: { family: 'netdev', table: 't', chain: 'ruled', expr: [{ accept: null }] } },
      { chain: { family: 'netdev', table: 't', name: 'regular' } },
    ]);
    const { sealed, other } = parseGuardChains(json);
    expect([...sealed]).toEqual(['ok']);
    expect([...other].sort()).toEqual(['accepting', 'regular', 'ruled']);
  });

  it('reads empty output as no chains and rejects a non-nft document', () => {
    expect(parseGuardChains('').sealed.size).toBe(0);
    expect(() => parseGuardChains('{"x":1}')).toThrow(/expected/);
  });
});

describe('hostEndSysctls', () => {
  it('covers IPv6 off, no RA, no ARP answers, no forwarding, rp_filter', () => {
    const keys = Object.fromEntries(hostEndSysctls('nsv0123456789ab').map((s) => [s.key, s.value]));
    expect(keys).toMatchObject({
      'net.ipv6.conf.nsv0123456789ab.disable_ipv6': '1',
      'net.ipv6.conf.nsv0123456789ab.accept_ra': '0',
      'net.ipv4.conf.nsv0123456789ab.arp_ignore': '8',
      'net.ipv4.conf.nsv0123456789ab.forwarding': '0',
      'net.ipv4.conf.nsv0123456789ab.rp_filter': '1',
    });
    expect(hostEndSysctls('nsv0123456789ab')[0]?.path).toBe('/proc/sys/net/ipv6/conf/nsv0123456789ab/disable_ipv6');
  });

  it('refuses names with dots or path characters', () => {
    expect(() => hostEndSysctls('a.b')).toThrow(/unsafe/);
    expect(() => hostEndSysctls('../x')).toThrow(/unsafe/);
  });
});
