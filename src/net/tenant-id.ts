/** Smallest tenant id (0 is the pipeline's "no tenant"). */
export const TENANT_ID_MIN = 1;
/** 24 bits: a tenant id fits a VXLAN VNI, a flow cookie's tenant field and a gateway MAC. */
export const TENANT_ID_MAX = 0xff_ffff;

export function isValidTenantId(id: number): boolean {
  return Number.isInteger(id) && id >= TENANT_ID_MIN && id <= TENANT_ID_MAX;
}
