/** Smallest MTU IPv4 allows (and veth accepts). */
export const MTU_MIN = 68;
/** Largest MTU a veth accepts. */
export const MTU_MAX = 65_535;

export function isValidMtu(mtu: number): boolean {
  return Number.isInteger(mtu) && mtu >= MTU_MIN && mtu <= MTU_MAX;
}
