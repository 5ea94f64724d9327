import { describe, expect, it } from 'vitest';
import { formatOffloads, offloadState, parseEthtoolFeatures } from '../../../../bench/lib/offloads.js';

// `ethtool -k x0` of a veth after `ethtool -K x0 tx off` (ethtool 6.1, Linux 6.18), trimmed.
const TX_OFF = `Features for x0:
rx-checksumming: on
tx-checksumming: off
\ttx-checksum-ipv4: off [fixed]
\ttx-checksum-ip-generic: off
\ttx-checksum-sctp: off
scatter-gather: on
tcp-segmentation-offload: on
\ttx-tcp-segmentation: off [requested on]
\ttx-tcp6-segmentation: off [requested on]
\ttx-tcp-accecn-segmentation: on
generic-segmentation-offload: on
generic-receive-offload: off
large-receive-offload: off [fixed]
`;

// The same veth as created (all offloads the driver offers on).
const DEFAULT = TX_OFF.replace('tx-checksumming: off', 'tx-checksumming: on').replace('tx-checksum-ip-generic: off', 'tx-checksum-ip-generic: on').replaceAll('off [requested on]', 'on');

describe('parseEthtoolFeatures', () => {
  it('reads top-level and indented features, with [fixed] and [requested on] markers', () => {
    const f = parseEthtoolFeatures(TX_OFF);
    expect(f.get('tx-checksumming')).toEqual({ on: false, fixed: false });
    expect(f.get('tx-checksum-ipv4')).toEqual({ on: false, fixed: true });
    expect(f.get('tx-tcp-segmentation')).toEqual({ on: false, fixed: false });
    expect(f.get('tx-tcp-accecn-segmentation')).toEqual({ on: true, fixed: false });
    expect(f.get('large-receive-offload')).toEqual({ on: false, fixed: true });
    expect(f.has('Features for x0')).toBe(false);
  });

  it('skips lines that are not features', () => {
    expect([...parseEthtoolFeatures('Cannot get device features: No such device\n\n').keys()]).toEqual([]);
  });
});

describe('offloadState', () => {
  it('reads TSO from tx-tcp-segmentation, not the summary line an unrelated sub-feature keeps on', () => {
    expect(offloadState(parseEthtoolFeatures(TX_OFF))).toEqual({ txChecksum: false, tso: false, gso: true, gro: false });
    expect(offloadState(parseEthtoolFeatures(DEFAULT))).toEqual({ txChecksum: true, tso: true, gso: true, gro: false });
  });

  it('falls back to the summary line when the sub-features are not listed', () => {
    const old = 'tx-checksumming: on\ntcp-segmentation-offload: on\ngeneric-segmentation-offload: on\ngeneric-receive-offload: on\n';
    expect(offloadState(parseEthtoolFeatures(old))).toEqual({ txChecksum: true, tso: true, gso: true, gro: true });
  });

  it('has no state when a needed line is missing', () => {
    expect(offloadState(parseEthtoolFeatures('tx-checksumming: on\n'))).toBeUndefined();
  });
});

describe('formatOffloads', () => {
  it('names each offload and its state', () => {
    expect(formatOffloads({ txChecksum: false, tso: false, gso: true, gro: false })).toBe('tx-csum off, TSO off, GSO on, GRO off');
    expect(formatOffloads(undefined)).toBe('unknown');
  });
});
