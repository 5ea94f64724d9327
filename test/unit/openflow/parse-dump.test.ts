import { describe, expect, it } from 'vitest';
import { parseDumpFlows, parseFlowLine } from '../../../src/openflow/parse-dump.js';
import { FlowParseError } from '../../../src/openflow/errors/flow-parse-error.js';

// Verbatim output of `ovs-ofctl -O OpenFlow15 dump-flows` (OVS 3.1), with and without --no-stats.
const WITH_STATS = `OFPST_FLOW reply (OF1.5) (xid=0x2):
 cookie=0x6e73000066000010, duration=1.486s, table=0, n_packets=0, n_bytes=0, idle_age=1, priority=100,ip,in_port=2,dl_src=02:aa:00:00:00:02,nw_src=10.0.0.2 actions=write_metadata:0x66,goto_table:20
 cookie=0x6e73000064000011, duration=1.486s, table=0, n_packets=0, n_bytes=0, idle_age=1, priority=100,arp,in_port=3,dl_src=02:aa:00:00:00:03,arp_spa=10.0.0.3,arp_sha=02:aa:00:00:00:03 actions=write_metadata:0x64,goto_table:10
 cookie=0x6e73000000000002, duration=1.486s, table=0, n_packets=0, n_bytes=0, idle_age=1, priority=60,ipv6 actions=drop
`;
const NO_STATS = ` cookie=0x6e73000000000001, priority=0 actions=drop
 cookie=0x6e73000064000002, table=10, priority=100,arp,metadata=0x64,arp_tpa=10.0.0.1,arp_op=1 actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:02:00:00:00:00:01->eth_src,set_field:2->arp_op,move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],set_field:02:00:00:00:00:01->arp_sha,set_field:10.0.0.1->arp_spa,IN_PORT
 cookie=0x6e73000064000004, table=20, priority=50,metadata=0x64,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 actions=output:1,output:2,output:3
 cookie=0x0, table=20, actions=NORMAL
`;

describe('parseDumpFlows', () => {
  it('reads flows with statistics, dropping stats and the reply header', () => {
    const flows = parseDumpFlows(WITH_STATS);
    expect(flows).toHaveLength(3);
    expect(flows[0]).toEqual({
      table: 0, priority: 100, cookie: 0x6e73000066000010n,
      match: 'ip,in_port=2,dl_src=02:aa:00:00:00:02,nw_src=10.0.0.2', actions: 'write_metadata:0x66,goto_table:20',
    });
    expect(flows[2]).toEqual({ table: 0, priority: 60, cookie: 0x6e73000000000002n, match: 'ipv6', actions: 'drop' });
  });

  it('reads --no-stats output: table 0 and priority 32768 are implied when absent; bracketed actions stay whole', () => {
    const flows = parseDumpFlows(NO_STATS);
    expect(flows.map((f) => [f.table, f.priority, f.match])).toEqual([
      [0, 0, ''],
      [10, 100, 'arp,metadata=0x64,arp_tpa=10.0.0.1,arp_op=1'],
      [20, 50, 'metadata=0x64,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00'],
      [20, 32768, ''],
    ]);
    expect(flows[1]?.actions.endsWith('set_field:10.0.0.1->arp_spa,IN_PORT')).toBe(true);
    expect(flows[3]?.cookie).toBe(0n);
  });

  it('rejects a flow line it cannot read, naming the line', () => {
    expect(() => parseFlowLine(' cookie=0x1, table=x, priority=1 actions=drop')).toThrow(FlowParseError);
    expect(() => parseFlowLine(' cookie=0x1, table=x, priority=1 actions=drop')).toThrow(/table=x/);
  });
});
