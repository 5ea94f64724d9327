/** Prefix of every OVN row name nsvswitch makes (switches and ports), so people can tell them apart in ovn-nbctl show. */
export const OVN_NAME_PREFIX = 'nsvs-';

/** The tenant's logical switch: one per tenant, shared by every host. */
export function switchName(tenant: string): string {
  return `${OVN_NAME_PREFIX}${tenant}`;
}

/**
 * A workload's logical switch port: unique across hosts (the chassis name is
 * in it) and stable across restarts (the host interface name is derived from
 * the namespace key). It is also the OVS interface's external_ids:iface-id.
 */
export function lspName(systemId: string, hostIf: string): string {
  return `${OVN_NAME_PREFIX}${systemId}-${hostIf}`;
}
