import { describe, expect, it } from 'vitest';
import { parseHostLinks } from '../../../src/plumbing/host-links.js';

describe('parseHostLinks', () => {
  // Shape of iproute2 6.1 `ip -j link show`.
  const json = JSON.stringify([
    { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536 },
    { ifindex: 5, link_index: 2, ifname: 'nsvaaaa', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1400, link_netnsid: 1 },
    { ifindex: 6, ifname: 'nsvbbbb', flags: ['BROADCAST', 'MULTICAST'], mtu: 1500 },
    { ifindex: 7, ifname: 'br-int', flags: ['UP'], mtu: 1500 },
  ]);

  it('keeps only links with the prefix, with index, MTU and up state', () => {
    const links = parseHostLinks(json, 'nsv');
    expect([...links.keys()]).toEqual(['nsvaaaa', 'nsvbbbb']);
    expect(links.get('nsvaaaa')).toEqual({ name: 'nsvaaaa', ifindex: 5, mtu: 1400, up: true });
    expect(links.get('nsvbbbb')?.up).toBe(false);
  });

  it('returns an empty map for empty output', () => {
    expect(parseHostLinks('', 'nsv').size).toBe(0);
  });

  it('throws on output that is not a JSON array', () => {
    expect(() => parseHostLinks('{}', 'nsv')).toThrow(/JSON array/);
  });
});
