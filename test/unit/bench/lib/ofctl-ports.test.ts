import { describe, expect, it } from 'vitest';
import { droppedBetween, parseDumpPorts } from '../../../../bench/lib/ofctl-ports.js';

// `ovs-ofctl -O OpenFlow15 dump-ports br0` (OVS 3.1), one internal port.
const DUMP = `OFPST_PORT reply (OF1.5) (xid=0x2): 2 ports
  port LOCAL: rx pkts=0, bytes=0, drop=0, errs=0, frame=0, over=0, crc=0
           tx pkts=0, bytes=0, drop=0, errs=0, coll=0
           duration=0.655s
  port  1: rx pkts=120, bytes=9000, drop=3, errs=0, frame=0, over=0, crc=0
           tx pkts=80, bytes=6000, drop=?, errs=?, coll=0
           duration=0.552s
`;

describe('parseDumpPorts', () => {
  it('reads rx and tx counters per port, leaving out the ones reported as ?', () => {
    const ports = parseDumpPorts(DUMP);
    expect([...ports.keys()]).toEqual(['LOCAL', '1']);
    expect(ports.get('1')).toEqual({ rx: { pkts: 120, bytes: 9000, drop: 3, errs: 0 }, tx: { pkts: 80, bytes: 6000 } });
  });

  it('returns nothing for an error message', () => {
    expect(parseDumpPorts('ovs-ofctl: br0: failed to connect to socket').size).toBe(0);
  });
});

describe('droppedBetween', () => {
  it('adds rx and tx drops over the ports but LOCAL', () => {
    const before = parseDumpPorts(DUMP.replace('tx pkts=80, bytes=6000, drop=?', 'tx pkts=80, bytes=6000, drop=1'));
    const after = parseDumpPorts(DUMP.replace('drop=3', 'drop=10').replace('tx pkts=80, bytes=6000, drop=?', 'tx pkts=90, bytes=7000, drop=5').replace('port LOCAL: rx pkts=0, bytes=0, drop=0', 'port LOCAL: rx pkts=0, bytes=0, drop=99'));
    expect(droppedBetween(before, after)).toBe(7 + 4);
  });

  it('has no figure when no port reports drops in both dumps', () => {
    expect(droppedBetween(parseDumpPorts(DUMP), new Map())).toBeUndefined();
  });
});
