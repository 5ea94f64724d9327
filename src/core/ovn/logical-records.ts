import type { DesiredPort } from '../model.js';
import { ExternalIds, OWNER_KEY, OWNER_VALUE } from '../ownership.js';
import { lspName, switchName } from './names.js';

/** OVN's option naming the chassis that may bind a port (ovn-controller elsewhere ignores it). */
export const REQUESTED_CHASSIS = 'requested-chassis';
/** OVN's option asking ovn-northd for a datapath's tunnel key (our tenant id). */
export const REQUESTED_TNL_KEY = 'requested-tnl-key';

/** A tenant's logical switch as nsvswitch makes it. */
export interface DesiredSwitch {
  readonly name: string;
  readonly tenant: string;
  readonly tenantId: number;
}

/** A workload's logical switch port as nsvswitch wants it in the northbound database. */
export interface DesiredLsp {
  readonly name: string;
  /** Namespace key (path#inode). */
  readonly key: string;
  readonly tenant: string;
  readonly tenantId: number;
  readonly switchName: string;
  readonly chassis: string;
  readonly ip: string;
  readonly mac: string;
  /** "MAC IP": OVN's addresses and port_security entry. */
  readonly address: string;
}

export function desiredSwitch(tenant: string, tenantId: number): DesiredSwitch {
  return { name: switchName(tenant), tenant, tenantId };
}

export function desiredLsp(d: Pick<DesiredPort, 'key' | 'hostIf' | 'tenant' | 'tenantId' | 'mac'> & { readonly ip: string }, systemId: string): DesiredLsp {
  return {
    name: lspName(systemId, d.hostIf), key: d.key, tenant: d.tenant, tenantId: d.tenantId, switchName: switchName(d.tenant),
    chassis: systemId, ip: d.ip, mac: d.mac, address: `${d.mac} ${d.ip}`,
  };
}

/** external_ids of a tenant switch. */
export function switchRecord(s: DesiredSwitch): Record<string, string> {
  return { [OWNER_KEY]: OWNER_VALUE, [ExternalIds.tenant]: s.tenant, [ExternalIds.tenantId]: String(s.tenantId) };
}

/** external_ids of a workload's logical switch port: enough to adopt it after a restart, and to know whose it is. */
export function lspRecord(l: DesiredLsp): Record<string, string> {
  return {
    [OWNER_KEY]: OWNER_VALUE,
    [ExternalIds.tenant]: l.tenant,
    [ExternalIds.chassis]: l.chassis,
    [ExternalIds.ip]: l.ip,
    [ExternalIds.mac]: l.mac,
    [ExternalIds.nsKey]: l.key,
  };
}
