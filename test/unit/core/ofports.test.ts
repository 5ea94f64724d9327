import { describe, expect, it } from 'vitest';
import { freeOfports, MAX_OFPORT } from '../../../src/core/ofports.js';

describe('freeOfports', () => {
  it('skips numbers in use or requested, lowest first', () => {
    const ifaces = [
      { ofport: 1, ofport_request: undefined },
      { ofport: undefined, ofport_request: 2 },
      { ofport: -1, ofport_request: undefined },
      { ofport: 4, ofport_request: 4 },
    ];
    expect(freeOfports(ifaces, 3)).toEqual([3, 5, 6]);
  });

  it('returns fewer when the port space is full', () => {
    const ifaces = Array.from({ length: MAX_OFPORT - 1 }, (_, i) => ({ ofport: i + 1, ofport_request: undefined }));
    expect(freeOfports(ifaces, 3)).toEqual([MAX_OFPORT]);
  });
});
