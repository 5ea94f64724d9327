import type { PlugSpec } from '../../../src/plumbing/types.js';

/** A valid spec; tests override one field at a time. */
export function spec(over: Partial<PlugSpec> = {}): PlugSpec {
  return {
    key: '/run/netns/blue-1#4026532000',
    nsPath: '/run/netns/blue-1',
    hostIf: 'nsv0123456789ab',
    peerTmp: 'nsp0123456789ab',
    ifName: 'eth0',
    mac: '02:aa:bb:cc:dd:ee',
    ip: '10.10.0.2',
    prefixLen: 24,
    mtu: 1500,
    gateway: '10.10.0.1',
    ...over,
  };
}
