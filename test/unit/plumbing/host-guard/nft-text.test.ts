import { describe, expect, it } from 'vitest';
import { guardScript, guardTableName, parseGuardTable, rebuildScript, dropTableScript } from '../../../../src/plumbing/host-guard/nft-text.js';
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

describe('parseGuardTable', () => {
  const chain = (name: string, ...lines: string[]) => [`\tchain ${name} {`, ...lines.map((l) => `\t\t${l}`), '\t}', ''];
  const seal = (name: string, dev = name, policy = 'drop', prio = -500) => `type filter hook ingress device "${dev}" priority ${prio}; policy ${policy};`;
  const table = (...body: string[][]) => ['table netdev t {', ...body.flat(), '}', ''].join('\n');

  it('counts a chain as sealed only when it is exactly what we add; any edit in place makes it other', () => {
    const { sealed, other, tableChanged } = parseGuardTable(table(
      chain('ok', seal('ok')),
      chain('accepting', seal('accepting', 'accepting', 'accept')),
      chain('ruled', seal('ruled'), 'meta l4proto tcp accept'),
      chain('elsewhere', seal('elsewhere', 'eth9')),
      chain('later', seal('later', 'later', 'drop', 10)),
      chain('regular'),
    ));
    expect([...sealed]).toEqual(['ok']);
    expect([...other].sort()).toEqual(['accepting', 'elsewhere', 'later', 'regular', 'ruled']);
    expect(tableChanged).toBe(false);
  });

  it('reports a table that holds more than chains (dormant, a set, a comment) as changed', () => {
    expect(parseGuardTable(table(['\tflags dormant'], chain('ok', seal('ok')))).tableChanged).toBe(true);
    const withSet = parseGuardTable(table(['\tset s {', '\t\ttype ipv4_addr', '\t}'], chain('ok', seal('ok'))));
    expect(withSet).toMatchObject({ tableChanged: true });
    expect([...withSet.sealed]).toEqual(['ok']);
    expect(parseGuardTable(table(['\tcomment "x"'])).tableChanged).toBe(true);
  });

  it('reads empty output as no chains', () => {
    expect(parseGuardTable('')).toEqual({ sealed: new Set(), other: new Set(), tableChanged: false });
  });
});

describe('rebuildScript', () => {
  it('replaces the table whole with one sealing chain per interface', () => {
    expect(rebuildScript('nsvswitch_br', ['nsvaaaaaaaaaaaa'])).toBe([
      'add table netdev nsvswitch_br', 'delete table netdev nsvswitch_br', 'add table netdev nsvswitch_br',
      'add chain netdev nsvswitch_br nsvaaaaaaaaaaaa { type filter hook ingress device "nsvaaaaaaaaaaaa" priority -500; policy drop; }', '',
    ].join('\n'));
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
