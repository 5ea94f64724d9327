import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { COOKIE_OWNER_MASK, OWNER_COOKIE, decodeCookie, encodeCookie, isOurCookie } from '../../../../src/core/pipeline/cookie.js';
import { cookieFilterArg, cookieMatches } from '../../../../src/openflow/cookie-filter.js';

describe('flow cookies', () => {
  it('carry owner magic in the high 16 bits, then tenant id, then category', () => {
    expect(encodeCookie(100, 0x31)).toBe(0x6e73_000064_000031n);
    expect(decodeCookie(0x6e73_000064_000031n)).toEqual({ owner: 0x6e73, tenantId: 100, category: 0x31 });
  });

  it('round-trip every tenant id and category', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffff }), fc.integer({ min: 0, max: 0xffffff }), (t, c) => {
        const cookie = encodeCookie(t, c);
        expect(decodeCookie(cookie)).toEqual({ owner: 0x6e73, tenantId: t, category: c });
        expect(isOurCookie(cookie)).toBe(true);
        expect(cookie < 1n << 64n).toBe(true);
      }),
    );
  });

  it('reject ids that do not fit their bits', () => {
    expect(() => encodeCookie(0x1000000, 1)).toThrow(RangeError);
    expect(() => encodeCookie(-1, 1)).toThrow(RangeError);
    expect(() => encodeCookie(1, 0x1000000)).toThrow(RangeError);
  });

  it('tell foreign cookies apart, and filter dumps on the owner bits only', () => {
    expect(isOurCookie(0n)).toBe(false);
    expect(isOurCookie(0x1234_000064_000031n)).toBe(false);
    expect(COOKIE_OWNER_MASK).toBe(0xffff_000000_000000n);
    expect(cookieFilterArg(OWNER_COOKIE)).toBe('cookie=0x6e73000000000000/0xffff000000000000');
    expect(cookieMatches(OWNER_COOKIE, encodeCookie(7, 1))).toBe(true);
    expect(cookieMatches(OWNER_COOKIE, 0x1234_000064_000031n)).toBe(false);
  });
});
