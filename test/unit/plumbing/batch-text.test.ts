import { describe, expect, it } from 'vitest';
import { batchText, hostLine, hostUpLine, namespaceLines, unplugLines } from '../../../src/plumbing/batch-text.js';
import { spec } from './fixtures.js';

describe('batch text', () => {
  it('creates the veth with its peer directly in the pinned namespace, MAC and MTU set', () => {
    expect(hostLine(spec({ mtu: 1400 }), '/proc/42/fd/7').text).toBe(
      'link add dev nsv0123456789ab mtu 1400 type veth peer name nsp0123456789ab address 02:aa:bb:cc:dd:ee mtu 1400 netns /proc/42/fd/7',
    );
  });

  it('brings the host end up without IPv6 address generation', () => {
    expect(hostUpLine(spec()).text).toBe('link set dev nsv0123456789ab addrgenmode none up');
  });

  it('configures the namespace in order: rename first, then address, lo, link up, default route', () => {
    expect(namespaceLines(spec()).map((l) => [l.step, l.text])).toEqual([
      ['rename', 'link set dev nsp0123456789ab name eth0'],
      ['address', 'addr add 10.10.0.2/24 dev eth0'],
      ['loopback up', 'link set dev lo up'],
      ['link up', 'link set dev eth0 up'],
      ['default route', 'route add default via 10.10.0.1 dev eth0'],
    ]);
  });

  it('adds no route line without a gateway', () => {
    expect(namespaceLines(spec({ gateway: undefined })).map((l) => l.step)).not.toContain('default route');
  });

  it('refuses to write an untrusted path (or any unsafe token) into batch text', () => {
    expect(() => hostLine(spec(), '/run/netns/blue 1')).toThrow(/unsafe token/);
    expect(() => hostLine(spec(), '/run/netns/$(reboot)')).toThrow(/unsafe token/);
    expect(() => unplugLines(['nsv1', 'a\nlink del lo'])).toThrow(/unsafe token/);
  });

  it('joins lines with a newline each', () => {
    expect(batchText(unplugLines(['nsv1', 'nsv2']))).toBe('link del dev nsv1\nlink del dev nsv2\n');
  });
});
