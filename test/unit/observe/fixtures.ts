import type { StatusReport } from '../../../src/observe/status-types.js';

/** A status document with every kind of entry, including a hostile namespace name. */
export function sampleStatus(over: Partial<StatusReport> = {}): StatusReport {
  return {
    version: '0.1.0',
    bridge: 'br-nsv',
    ready: true,
    ovsdbConnected: true,
    tenants: [
      { name: 'blue', id: 100, subnet: '10.10.0.0/24', ports: 2, ready: 1 },
      { name: 'red', id: 200, subnet: '10.20.0.0/24', ports: 0, ready: 0 },
    ],
    namespaces: [
      { path: '/run/netns/blue-1', name: 'blue-1', tenant: 'blue', state: 'ready', ip: '10.10.0.2', mac: '02:00:00:00:00:02', port: 'nsv0123456789ab', ofport: 3 },
      { path: '/run/netns/blue-\u001b[31mevil\n', name: 'blue-\u001b[31mevil\n', tenant: 'blue', state: 'error', error: 'interface name eth0 already taken' },
      { path: '/run/netns/other', name: 'other', state: 'unmatched' },
    ],
    problems: [{ file: '/etc/nsvswitch/tenants.d/bad.yaml', line: 4, message: 'subnet 10.0.0.0/33 is not a CIDR', tenant: 'green' }],
    errors: [{ namespace: '/run/netns/blue-\u001b[31mevil\n', reason: 'interface name eth0 already taken', since: '2026-01-01T12:00:00.000Z' }],
    ...over,
  };
}
