import { describe, expect, it } from 'vitest';
import { canonicalMatch, splitTopLevel } from '../../../src/openflow/canonical-match.js';

describe('canonicalMatch', () => {
  const same: [string, string][] = [
    // ours vs. how OVS prints it back
    ['arp,metadata=0x64,arp_op=1,arp_tpa=10.0.0.1', 'arp,metadata=0x64,arp_tpa=10.0.0.1,arp_op=1'],
    ['ip,in_port=1,dl_src=02:AA:00:00:00:01,nw_src=10.0.0.1', 'ip,in_port=1,dl_src=02:aa:00:00:00:01,nw_src=10.0.0.1'],
    ['dl_type=0x0800,in_port=1', 'ip,in_port=1'],
    ['eth_type=0x800,nw_proto=1', 'icmp'],
    ['tcp,tcp_dst=80', 'ip,nw_proto=6,tp_dst=80'],
    ['metadata=100', 'metadata=0x64'],
    ['nw_src=10.0.0.1/32', 'nw_src=10.0.0.1'],
    ['dl_dst=02:00:00:00:00:01/ff:ff:ff:ff:ff:ff', 'dl_dst=02:00:00:00:00:01'],
    ['eth_dst=01:00:00:00:00:00/01:00:00:00:00:00', 'dl_dst=01:00:00:00:00:00/01:00:00:00:00:00'],
    ['ip,in_port=1,vlan_tci=0x0000/0x1fff,dl_src=02:00:00:00:00:01', 'ip,vlan_tci=0x0/0x1FFF,in_port=1,dl_src=02:00:00:00:00:01'],
    ['', ''],
  ];
  it.each(same)('%s ≡ %s', (a, b) => {
    expect(canonicalMatch(a)).toBe(canonicalMatch(b));
  });

  const different: [string, string][] = [
    ['ip,in_port=1', 'ip,in_port=2'],
    ['ip', 'arp'],
    ['ip', 'ipv6'],
    ['metadata=0x64', 'metadata=0x65'],
    ['dl_dst=01:00:00:00:00:00/01:00:00:00:00:00', 'dl_dst=01:00:00:00:00:00'],
    ['nw_src=10.0.0.0/24', 'nw_src=10.0.0.0'],
    ['in_port=1', ''],
    ['ip,vlan_tci=0x0000/0x1fff', 'ip'],
    ['vlan_tci=0x0000/0x1fff', 'vlan_tci=0x1000/0x1000'],
  ];
  it.each(different)('%s ≢ %s', (a, b) => {
    expect(canonicalMatch(a)).not.toBe(canonicalMatch(b));
  });

  it('splits only at top-level commas', () => {
    expect(splitTopLevel('move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],learn(table=1,priority=2),output:1')).toEqual([
      'move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]',
      'learn(table=1,priority=2)',
      'output:1',
    ]);
  });
});
