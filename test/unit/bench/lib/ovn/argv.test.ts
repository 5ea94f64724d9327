import { describe, expect, it } from 'vitest';
import { bulkAddPortArgs, bulkDelPortArgs, bulkLspArgs, driverIpSteps, driverNbSteps, driverVethNames, driverVsctlSteps, insideBatch, moveInsideArgs } from '../../../../../bench/lib/ovn/argv.js';

const port = { name: 's0-1-0001', mac: '02:6e:73:00:00:01', ip: '10.82.0.2' };

describe('bench/ovn command lines', () => {
  it('runs the driver\'s northbound steps as one ovn-nbctl process each, port security included', () => {
    const steps = driverNbSteps('tcp:a:1,tcp:b:2', 60, 'ls1', port);
    expect(steps.map((s) => s.slice(3, 4)[0])).toEqual(['lsp-add', 'lsp-set-addresses', 'lsp-set-port-security', '--if-exists']);
    expect(steps[0]!.slice(0, 3)).toEqual(['--db=tcp:a:1,tcp:b:2', '--timeout=60', '-vconsole:off']);
    expect(steps[1]!.at(-1)).toBe('02:6e:73:00:00:01 10.82.0.2');
    expect(steps[2]!.at(-1)).toBe('02:6e:73:00:00:01 10.82.0.2');
  });

  it('names the veth ends as the driver does (eid[0:15], eid[0:13] + "_c") and binds the port by iface-id', () => {
    expect(driverVethNames('abcdefghijklmnopq')).toEqual({ outside: 'abcdefghijklmno', inside: 'abcdefghijklm_c' });
    expect(driverIpSteps(port)[0]).toEqual(['link', 'add', 's0-1-0001_c', 'type', 'veth', 'peer', 'name', 's0-1-0001']);
    const [add, set] = driverVsctlSteps('br-int', 60, port, 'vm1');
    expect(add!.slice(2)).toEqual(['add-port', 'br-int', 's0-1-0001']);
    expect(set).toContain('external_ids:iface-id=s0-1-0001');
    expect(moveInsideArgs(port, '/x/ns')).toEqual(['link', 'set', 's0-1-0001_c', 'netns', '/x/ns']);
    expect(insideBatch(port, 'eth0', 16)).toBe('link set lo up\nlink set s0-1-0001_c name eth0\naddr add 10.82.0.2/16 dev eth0\nlink set eth0 up\n');
  });

  it('makes every port of the floor in one transaction each side', () => {
    const ports = [{ ...port, chassis: 'h1' }, { ...port, name: 'p2' }];
    const nb = bulkLspArgs('ls1', ports);
    expect(nb.filter((a) => a === 'lsp-add')).toHaveLength(2);
    expect(nb).toContain('options:requested-chassis=h1');
    expect(nb.filter((a) => a.startsWith('options:requested-chassis'))).toHaveLength(1);
    expect(bulkAddPortArgs('br-int', ports)).toEqual([
      '--', 'add-port', 'br-int', 's0-1-0001', '--', 'set', 'Interface', 's0-1-0001', 'external_ids:iface-id=s0-1-0001',
      '--', 'add-port', 'br-int', 'p2', '--', 'set', 'Interface', 'p2', 'external_ids:iface-id=p2',
    ]);
    expect(bulkDelPortArgs('br-int', ['a'])).toEqual(['--', '--if-exists', 'del-port', 'br-int', 'a']);
  });
});
