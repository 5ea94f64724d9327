import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkPlugSpec } from '../../../src/plumbing/spec-check.js';
import { isSafeIfName } from '../../../src/net/ifname.js';
import { InvalidPlugSpecError } from '../../../src/plumbing/errors/invalid-plug-spec-error.js';
import { hostLine, namespaceLines } from '../../../src/plumbing/batch-text.js';
import { spec } from './fixtures.js';

describe('checkPlugSpec', () => {
  it('accepts a valid spec, with and without gateway', () => {
    expect(checkPlugSpec(spec())).toBeUndefined();
    expect(checkPlugSpec(spec({ gateway: undefined }))).toBeUndefined();
  });

  const bad: [string, Partial<Parameters<typeof spec>[0]>, string][] = [
    ['interface name with a space', { ifName: 'eth 0' }, 'interface name'],
    ['interface name with a newline (a second batch command)', { ifName: 'eth0\nlink del lo' }, 'interface name'],
    ['interface name longer than 15 bytes', { ifName: 'a'.repeat(16) }, 'interface name'],
    ['interface name with a quote', { ifName: 'e"th0' }, 'interface name'],
    ['interface name with a comment sign', { ifName: 'e#th0' }, 'interface name'],
    ['interface name with a slash', { ifName: 'e/th0' }, 'interface name'],
    ['interface name with a leading dash', { ifName: '-eth0' }, 'interface name'],
    ['interface name lo', { ifName: 'lo' }, 'interface name'],
    ['host name with unicode', { hostIf: 'nsvé' }, 'host interface name'],
    ['peer name equal to the final name', { peerTmp: 'eth0' }, 'temporary peer name (equals the interface name)'],
    ['MAC with too few octets', { mac: '02:aa:bb:cc:dd' }, 'MAC address'],
    ['multicast MAC', { mac: '01:aa:bb:cc:dd:ee' }, 'MAC address (multicast)'],
    ['address out of range', { ip: '10.10.0.256' }, 'IPv4 address'],
    ['address with trailing text', { ip: '10.10.0.2 extra' }, 'IPv4 address'],
    ['prefix 0', { prefixLen: 0 }, 'prefix length'],
    ['prefix 33', { prefixLen: 33 }, 'prefix length'],
    ['fractional MTU', { mtu: 1500.5 }, 'MTU'],
    ['MTU too small', { mtu: 67 }, 'MTU'],
    ['MTU too big', { mtu: 65536 }, 'MTU'],
    ['gateway with a newline', { gateway: '10.10.0.1\nroute flush' }, 'gateway'],
    ['gateway equal to the address', { gateway: '10.10.0.2' }, 'gateway (equals the address)'],
  ];
  it.each(bad)('refuses %s', (_what, over, field) => {
    const err = checkPlugSpec(spec(over));
    expect(err).toBeInstanceOf(InvalidPlugSpecError);
    expect(err?.field).toBe(field);
    expect(err?.message).toContain('/run/netns/blue-1');
  });

  it('never lets a value through that the batch builders would reject or split', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), (ifName, ip) => {
        const s = spec({ ifName, ip });
        if (checkPlugSpec(s) !== undefined) return;
        const lines = [hostLine(s, '/proc/1/fd/3'), ...namespaceLines(s)];
        for (const l of lines) expect(l.text).not.toMatch(/["'#\\\n\r\t]/);
      }),
    );
  });

  it('isSafeIfName accepts typical names and refuses dot names', () => {
    for (const n of ['eth0', 'net1', 'veth_a.b', 'x+y-z']) expect(isSafeIfName(n)).toBe(true);
    for (const n of ['.', '..', '', 'a b', 'a:b']) expect(isSafeIfName(n)).toBe(false);
  });
});
