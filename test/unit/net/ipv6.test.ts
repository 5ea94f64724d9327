import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  canonicalIpv6, cidrs6Overlap, eui64LinkLocal, formatIpv6, ipv6InSubnet, multicastMac6, parseCidr6, parseIpv6, range6Of, solicitedNode,
} from '../../../src/net/index.js';

describe('IPv6 text', () => {
  it.each([
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of two equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a lone zero group is not compressed
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::', 'fe80::'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'], // the longest run
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['fd00:0:0:0:0:0:0:0', 'fd00::'],
  ])('%s is %s in RFC 5952 form', (text, canon) => {
    expect(canonicalIpv6(text)).toBe(canon);
  });

  it.each([
    '', ':', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::', 'fe80::1%eth0', '[::1]',
    '1:2:3:4:5:6:7::8', '::1.2.3', '::1.2.3.256', '::01.2.3.4', '1.2.3.4', ' ::1', `${'0:'.repeat(30)}0`, '::1:', ':1::',
  ])('%j is refused', (text) => {
    expect(parseIpv6(text)).toBeUndefined();
  });

  it('formats and parses back every 128-bit value (round trip), and canonical text is stable', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (n) => {
      const t = formatIpv6(n);
      expect(parseIpv6(t)).toBe(n);
      expect(canonicalIpv6(t)).toBe(t);
    }), { numRuns: 2000 });
  });

  it('round-trips addresses full of zero runs (the compression cases)', () => {
    const group = fc.constantFrom(0, 0, 0, 1, 0xffff);
    fc.assert(fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (gs) => {
      const n = gs.reduce((a, g) => (a << 16n) | BigInt(g), 0n);
      const t = formatIpv6(n);
      expect(parseIpv6(t)).toBe(n);
      expect(t.split('::').length).toBeLessThanOrEqual(2);
      expect(t).not.toMatch(/(^|:)0[0-9a-f]/);
    }), { numRuns: 2000 });
  });
});

describe('IPv6 prefixes', () => {
  it('parses prefixes and refuses malformed ones', () => {
    expect(parseCidr6('fd00::/64')).toEqual({ address: 0xfd00n << 112n, prefixLen: 64 });
    for (const bad of ['fd00::', 'fd00::/129', 'fd00::/064', 'fd00::/-1', 'fd00::/', '/64', 'fd00::/6 4']) expect(parseCidr6(bad)).toBeUndefined();
  });

  it('knows containment and overlap', () => {
    expect(ipv6InSubnet('fd00::5', 'fd00::/64')).toBe(true);
    expect(ipv6InSubnet('fd00:0:0:1::5', 'fd00::/64')).toBe(false);
    expect(cidrs6Overlap(parseCidr6('fd00::/48')!, parseCidr6('fd00:0:0:7::/64')!)).toBe(true);
    expect(cidrs6Overlap(parseCidr6('fd00:0:0:1::/64')!, parseCidr6('fd00:0:0:2::/64')!)).toBe(false);
    const [a, b] = range6Of(parseCidr6('fd00::/120')!);
    expect(formatIpv6(a)).toBe('fd00::');
    expect(formatIpv6(b)).toBe('fd00::ff');
  });
});

describe('IPv6 derived addresses', () => {
  it('derives the kernel\'s EUI-64 link-local address from a MAC (universal/local bit flipped)', () => {
    expect(eui64LinkLocal('02:00:00:0a:00:03')).toBe('fe80::ff:fe0a:3');
    expect(eui64LinkLocal('52:54:00:12:34:56')).toBe('fe80::5054:ff:fe12:3456');
  });

  it('derives the link-local address of any MAC as the 128-bit arithmetic does', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 }), (b) => {
      const mac = b.map((x) => x.toString(16).padStart(2, '0')).join(':');
      const iid = [b[0]! ^ 2, b[1]!, b[2]!, 0xff, 0xfe, b[3]!, b[4]!, b[5]!].reduce((a, x) => (a << 8n) | BigInt(x), 0n);
      expect(eui64LinkLocal(mac)).toBe(formatIpv6((0xfe80n << 112n) | iid));
    }), { numRuns: 1000 });
  });

  it('derives solicited-node groups and their Ethernet multicast MACs', () => {
    expect(solicitedNode('fd00::1:2345:6789')).toBe('ff02::1:ff45:6789');
    expect(multicastMac6('ff02::1:ff45:6789')).toBe('33:33:ff:45:67:89');
  });
});
