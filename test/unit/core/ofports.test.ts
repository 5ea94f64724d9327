import { describe, expect, it } from 'vitest';
import { freeOfports } from '../../../src/core/ofports.js';
import { MAX_OFPORT, OFPORT_REQUEST_MIN } from '../../../src/net/ofport.js';

const H = OFPORT_REQUEST_MIN;

describe('freeOfports', () => {
  it('asks from the high range OVS does not hand out on its own, skipping numbers in use or requested, lowest first', () => {
    const ifaces = [
      { ofport: H, ofport_request: undefined },
      { ofport: undefined, ofport_request: H + 1 },
      { ofport: -1, ofport_request: undefined },
      { ofport: H + 3, ofport_request: H + 3 },
      // Ports numbered by ovs-vswitchd itself, or by an older nsvswitch that asked from 1: never in the way.
      { ofport: 1, ofport_request: 1 },
      { ofport: 2, ofport_request: undefined },
    ];
    expect(freeOfports(ifaces, 3)).toEqual([H + 2, H + 4, H + 5]);
  });

  it('falls back to the low range when the high one is full, and returns fewer when the port space is full', () => {
    const high = Array.from({ length: MAX_OFPORT - H + 1 }, (_, i) => ({ ofport: H + i, ofport_request: undefined }));
    expect(freeOfports([...high, { ofport: 1, ofport_request: undefined }], 2)).toEqual([2, 3]);
    const all = Array.from({ length: MAX_OFPORT - 1 }, (_, i) => ({ ofport: i + 1, ofport_request: undefined }));
    expect(freeOfports(all, 3)).toEqual([MAX_OFPORT]);
  });
});
