import { describe, expect, it } from 'vitest';
import { interfaceProblems, parseIpAddrJson, spotIndices } from '../../../../bench/lib/netns-check.js';

// `ip -j addr show dev eth0` inside a plugged namespace (iproute2 6.1).
const plugged = JSON.stringify([
  {
    ifindex: 2, ifname: 'eth0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, operstate: 'UP',
    address: '02:6e:73:00:00:00',
    addr_info: [
      { family: 'inet', local: '10.77.0.2', prefixlen: 16 },
      { family: 'inet6', local: 'fe80::1', prefixlen: 64 },
    ],
  },
]);

describe('parseIpAddrJson', () => {
  it('reads up state, MAC, MTU and IPv4 addresses with prefix', () => {
    expect(parseIpAddrJson(plugged)).toEqual({ up: true, mac: '02:6e:73:00:00:00', mtu: 1500, ipv4: ['10.77.0.2/16'] });
  });

  it('returns undefined for an empty list', () => {
    expect(parseIpAddrJson('[]')).toBeUndefined();
  });
});

describe('interfaceProblems', () => {
  const state = parseIpAddrJson(plugged);

  it('finds nothing wrong with a correctly plugged interface', () => {
    expect(interfaceProblems('/ns/a', 'eth0', state, { ipv4: '10.77.0.2/16', mac: '02:6e:73:00:00:00', mtu: 1500 })).toEqual([]);
  });

  it('names the namespace and what is wrong', () => {
    const down = { up: false, mac: 'x', mtu: 9000, ipv4: [] };
    expect(interfaceProblems('/ns/a', 'eth0', down, { ipv4: '10.77.0.2/16', mac: '02:00:00:00:00:01', mtu: 1500 })).toEqual([
      'namespace /ns/a: eth0 is not up',
      'namespace /ns/a: eth0 lacks 10.77.0.2/16 (has none)',
      'namespace /ns/a: eth0 has MAC x, expected 02:00:00:00:00:01',
      'namespace /ns/a: eth0 has MTU 9000, expected 1500',
    ]);
    expect(interfaceProblems('/ns/a', 'eth0', undefined, {})).toEqual(['namespace /ns/a: no interface eth0']);
  });

  it('requires some IPv4 address when no specific one is expected', () => {
    expect(interfaceProblems('/ns/a', 'eth0', { up: true, mac: undefined, mtu: 1500, ipv4: [] }, {})).toEqual(['namespace /ns/a: eth0 has no IPv4 address']);
  });
});

describe('spotIndices', () => {
  it('takes the first, the last and evenly spread ones between', () => {
    expect(spotIndices(100)).toEqual([0, 24, 49, 74, 99]);
    expect(spotIndices(3)).toEqual([0, 1, 2]);
    expect(spotIndices(1)).toEqual([0]);
    expect(spotIndices(0)).toEqual([]);
  });
});
