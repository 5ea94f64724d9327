import type { CookieFilter } from '../../openflow/cookie-filter.js';
import { TENANT_ID_MAX } from '../../net/tenant-id.js';

/**
 * Our flow cookies mark a flow as ours and say whose it is, so a dump can be
 * filtered to our flows (foreign flows are never touched) and a flow can be
 * traced back to its tenant. Layout (64 bits, high to low):
 *   16 bits owner magic | 24 bits tenant id (0 = shared) | 24 bits category
 */
export const COOKIE_OWNER = 0x6e73n; // "ns"
export const COOKIE_OWNER_SHIFT = 48n;
export const COOKIE_OWNER_MASK = 0xffffn << COOKIE_OWNER_SHIFT;
export const COOKIE_TENANT_SHIFT = 24n;
export const MAX_COOKIE_CATEGORY = 0xffffff;

/** Exactly our flows, whatever the tenant and category: what the OpenFlow layer dumps, diffs and watches. */
export const OWNER_COOKIE: CookieFilter = Object.freeze({ value: COOKIE_OWNER << COOKIE_OWNER_SHIFT, mask: COOKIE_OWNER_MASK });

export interface CookieParts {
  readonly owner: number;
  readonly tenantId: number;
  readonly category: number;
}

/** Our cookie for a flow of `tenantId` (0 for shared flows) in `category`. */
export function encodeCookie(tenantId: number, category: number): bigint {
  if (!Number.isInteger(tenantId) || tenantId < 0 || tenantId > TENANT_ID_MAX) throw new RangeError(`cookie tenant id out of range: ${tenantId}`);
  if (!Number.isInteger(category) || category < 0 || category > MAX_COOKIE_CATEGORY) throw new RangeError(`cookie category out of range: ${category}`);
  return (COOKIE_OWNER << COOKIE_OWNER_SHIFT) | (BigInt(tenantId) << COOKIE_TENANT_SHIFT) | BigInt(category);
}

export function decodeCookie(cookie: bigint): CookieParts {
  return {
    owner: Number((cookie >> COOKIE_OWNER_SHIFT) & 0xffffn),
    tenantId: Number((cookie >> COOKIE_TENANT_SHIFT) & 0xffffffn),
    category: Number(cookie & 0xffffffn),
  };
}

export function isOurCookie(cookie: bigint): boolean {
  return (cookie & COOKIE_OWNER_MASK) === OWNER_COOKIE.value;
}
