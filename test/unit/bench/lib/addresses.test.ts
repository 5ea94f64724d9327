import { describe, expect, it } from 'vitest';
import { benchIp, benchMac, benchNames, BENCH_MAX_HOSTS, BENCH_SUBNET, inSubnet } from '../../../../bench/lib/addresses.js';

describe('benchIp', () => {
  it('starts after the network and gateway addresses and crosses octets', () => {
    expect(benchIp(0)).toBe('10.77.0.2');
    expect(benchIp(253)).toBe('10.77.0.255');
    expect(benchIp(254)).toBe('10.77.1.0');
    expect(benchIp(999)).toBe('10.77.3.233');
  });

  it('gives 1000 distinct addresses inside the bench subnet', () => {
    const ips = Array.from({ length: 1000 }, (_, i) => benchIp(i));
    expect(new Set(ips).size).toBe(1000);
    expect(ips.every((ip) => inSubnet(ip, BENCH_SUBNET))).toBe(true);
  });

  it('never hands out the broadcast address', () => {
    expect(benchIp(BENCH_MAX_HOSTS - 1)).toBe('10.77.255.254');
    expect(() => benchIp(BENCH_MAX_HOSTS)).toThrow(RangeError);
    expect(() => benchIp(-1)).toThrow(RangeError);
  });
});

describe('benchMac', () => {
  it('is locally administered, unicast and unique per index', () => {
    expect(benchMac(0)).toBe('02:6e:73:00:00:00');
    expect(benchMac(0x010203)).toBe('02:6e:73:01:02:03');
    const first = Number.parseInt(benchMac(5).slice(0, 2), 16);
    expect(first & 0x02).toBe(0x02);
    expect(first & 0x01).toBe(0);
  });
});

describe('benchNames', () => {
  it('zero-pads to at least four digits so names sort in creation order', () => {
    expect(benchNames('bench-', 3)).toEqual(['bench-0001', 'bench-0002', 'bench-0003']);
    expect(benchNames('p-', 10_000).at(-1)).toBe('p-10000');
  });
});

describe('inSubnet', () => {
  it.each([
    ['10.77.3.4', '10.77.0.0/16', true],
    ['10.78.0.1', '10.77.0.0/16', false],
    ['192.168.1.1', '0.0.0.0/0', true],
    ['10.0.0.1', '10.0.0.1/32', true],
    ['10.0.0.256', '10.0.0.0/24', false],
    ['10.0.0.1', '10.0.0.0/33', false],
    ['nonsense', '10.0.0.0/8', false],
  ])('%s in %s: %s', (ip, cidr, want) => {
    expect(inSubnet(ip, cidr)).toBe(want);
  });
});
