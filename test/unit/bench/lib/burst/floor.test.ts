import { describe, expect, it } from 'vitest';
import { floorHostIf, floorNsBatch, floorVethBatch, floorVsctlArgs } from '../../../../../bench/lib/burst/floor.js';

describe('floor batches', () => {
  it('creates every veth with its peer directly inside its namespace, in one batch', () => {
    expect(floorVethBatch(['/x/floor-0001', '/x/floor-0002'])).toBe(
      'link add flr0001 mtu 1500 type veth peer name eth0 netns /x/floor-0001\nlink set flr0001 up\n' +
        'link add flr0002 mtu 1500 type veth peer name eth0 netns /x/floor-0002\nlink set flr0002 up\n',
    );
  });

  it('refuses namespace paths that ip -batch would split', () => {
    expect(() => floorVethBatch(['/x/a b'])).toThrow(/whitespace/);
  });

  it('configures loopback, MAC, MTU, up and the address inside one namespace', () => {
    expect(floorNsBatch(0)).toBe('link set lo up\nlink set eth0 address 02:6e:73:00:00:00 mtu 1500 up\naddr add 10.77.0.2/16 dev eth0\n');
  });

  it('adds every port in one ovs-vsctl transaction', () => {
    expect(floorVsctlArgs('br', 2)).toEqual(['--', 'add-port', 'br', 'flr0001', '--', 'add-port', 'br', 'flr0002']);
  });

  it('keeps host interface names within IFNAMSIZ for 9999 namespaces', () => {
    expect(floorHostIf(9998)).toBe('flr9999');
    expect(floorHostIf(9998).length).toBeLessThanOrEqual(15);
  });
});
