import { describe, expect, it } from 'vitest';
import { namespaceLines } from '../../../src/plumbing/batch-text.js';
import { checkPlugSpec } from '../../../src/plumbing/spec-check.js';
import { workloadIpv6Sysctls } from '../../../src/plumbing/workload-ipv6.js';
import { spec } from './fixtures.js';

const v6 = { ip: 'fd00:10::2', prefixLen: 64, gateway: 'fd00:10::1' };

describe('dual-stack namespace configuration', () => {
  it('adds, in order: EUI-64 address generation and the EUI-64 link-local without DAD before link up, the IPv6 address without DAD after it, the IPv6 default route last', () => {
    expect(namespaceLines(spec({ ipv6: v6 })).map((l) => [l.step, l.text])).toEqual([
      ['rename', 'link set dev nsp0123456789ab name eth0'],
      ['address', 'addr add 10.10.0.2/24 dev eth0'],
      ['addrgenmode eui64', 'link set dev eth0 addrgenmode eui64'],
      ['link-local', 'addr add fe80::aa:bbff:fecc:ddee/64 dev eth0 nodad'],
      ['loopback up', 'link set dev lo up'],
      ['link up', 'link set dev eth0 up'],
      ['address6', 'addr add fd00:10::2/64 dev eth0 nodad'],
      ['default route', 'route add default via 10.10.0.1 dev eth0'],
      ['default route6', 'route add ::/0 via fd00:10::1 dev eth0'],
    ]);
  });

  it('adds no IPv6 route without gateway6, and nothing IPv6 at all for an IPv4-only port', () => {
    expect(namespaceLines(spec({ ipv6: { ip: 'fd00:10::2', prefixLen: 64 } })).map((l) => l.step)).not.toContain('default route6');
    expect(namespaceLines(spec()).map((l) => l.step)).toEqual(['rename', 'address', 'loopback up', 'link up', 'default route']);
  });

  it('refuses IPv6 values that are not addresses before any of them reaches batch text', () => {
    expect(checkPlugSpec(spec({ ipv6: v6 }))).toBeUndefined();
    for (const bad of [{ ...v6, ip: 'fd00::1 dev lo' }, { ...v6, prefixLen: 129 }, { ...v6, gateway: '10.10.0.1' }, { ...v6, gateway: v6.ip }]) {
      expect(checkPlugSpec(spec({ ipv6: bad }))?.name).toBe('InvalidPlugSpecError');
    }
  });

  it('writes no RA, no SLAAC, no DAD, no redirects, IPv6 on, for the workload end only', () => {
    expect(workloadIpv6Sysctls('eth0').map((s) => `${s.key}=${s.value}`)).toEqual([
      'net.ipv6.conf.eth0.disable_ipv6=0', 'net.ipv6.conf.eth0.accept_ra=0', 'net.ipv6.conf.eth0.autoconf=0', 'net.ipv6.conf.eth0.accept_redirects=0',
      'net.ipv6.conf.eth0.accept_dad=0', 'net.ipv6.conf.eth0.dad_transmits=0', 'net.ipv6.conf.eth0.router_solicitations=0',
    ]);
    expect(() => workloadIpv6Sysctls('../all')).toThrow(TypeError);
  });
});

describe('IPv6-only namespace configuration (a tenant without spec.subnet)', () => {
  const { ip: _ip, prefixLen: _len, gateway: _gw, ...noV4 } = spec({ ipv6: v6 });

  it('sets no IPv4 address and no IPv4 route: only the IPv6 address and route', () => {
    expect(checkPlugSpec(noV4)).toBeUndefined();
    expect(namespaceLines(noV4).map((l) => [l.step, l.text])).toEqual([
      ['rename', 'link set dev nsp0123456789ab name eth0'],
      ['addrgenmode eui64', 'link set dev eth0 addrgenmode eui64'],
      ['link-local', 'addr add fe80::aa:bbff:fecc:ddee/64 dev eth0 nodad'],
      ['loopback up', 'link set dev lo up'],
      ['link up', 'link set dev eth0 up'],
      ['address6', 'addr add fd00:10::2/64 dev eth0 nodad'],
      ['default route6', 'route add ::/0 via fd00:10::1 dev eth0'],
    ]);
  });

  it('refuses a port with no address of either family, half an IPv4 address, or an IPv4 gateway without an IPv4 address', () => {
    const { ipv6: _v6, ...nothing } = noV4;
    expect(checkPlugSpec(nothing)?.name).toBe('InvalidPlugSpecError');
    expect(checkPlugSpec({ ...noV4, prefixLen: 24 })?.name).toBe('InvalidPlugSpecError');
    expect(checkPlugSpec({ ...noV4, ip: '10.10.0.2' })?.name).toBe('InvalidPlugSpecError');
    expect(checkPlugSpec({ ...noV4, gateway: '10.10.0.1' })?.name).toBe('InvalidPlugSpecError');
  });
});
