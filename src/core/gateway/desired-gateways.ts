import { createHash } from 'node:crypto';
import type { HostService, Tenant } from '../../manifests/types.js';
import { DEFAULT_EGRESS } from '../../manifests/parse-egress.js';
import { IFNAMSIZ_MAX } from '../names.js';

/** Prefix of tenant gateway ports (OVS internal ports, so also host interfaces); never a workload's `nsv`. */
export const GATEWAY_IF_PREFIX = 'nsg';

/**
 * The gateway port of a tenant on a bridge: an OVS internal port whose host
 * interface carries the gateway address. Derived from the bridge and the
 * tenant id (unique per bridge), so two agents on one host never share one.
 */
export function gatewayName(bridge: string, tenantId: number): string {
  const d = createHash('sha256').update(`gw:${bridge}\0${tenantId}`).digest('hex');
  return GATEWAY_IF_PREFIX + d.slice(0, IFNAMSIZ_MAX - GATEWAY_IF_PREFIX.length);
}

export function isGatewayName(name: string): boolean {
  return name.length === IFNAMSIZ_MAX && name.startsWith(GATEWAY_IF_PREFIX) && /^[0-9a-f]+$/.test(name.slice(GATEWAY_IF_PREFIX.length));
}

/**
 * The gateway's MAC: locally administered, unicast, first byte 0x0a (workload
 * MACs always start with 0x02, see macFor), then the 24-bit tenant id: unique
 * on the bridge by construction, and the same after every restart.
 */
export function gatewayMac(tenantId: number): string {
  const b = [0x0a, 0x00, 0x00, (tenantId >> 16) & 0xff, (tenantId >> 8) & 0xff, tenantId & 0xff];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** What one tenant's gateway should be: its port (OVSDB + flows) and its host policy (nftables). */
export interface DesiredGateway {
  readonly tenant: string;
  readonly tenantId: number;
  /** Port, interface and host interface name (derived). */
  readonly name: string;
  readonly mac: string;
  readonly ip: string;
  readonly prefixLen: number;
  readonly subnet: string;
  readonly snat: boolean;
  /** Tenants (with a gateway) that list this one and are listed by it: traffic between the two is routed. */
  readonly peers: readonly { readonly tenant: string; readonly subnet: string; readonly name: string }[];
  readonly hostServices: readonly HostService[];
}

/**
 * desired gateways = f(tenants, bridge): one per tenant with a gateway
 * address, sorted by tenant id. An allowTenants entry counts only when the
 * other tenant has a gateway and lists this one too (both sides agree).
 * Pure.
 */
export function desiredGateways(tenants: ReadonlyMap<string, Tenant>, bridge: string): DesiredGateway[] {
  // The gateway is IPv4-only: validation refuses spec.gateway without spec.subnet, so every such tenant has both.
  const withGw = [...tenants.values()]
    .filter((t): t is Tenant & { gateway: string; subnet: string } => t.gateway !== undefined && t.subnet !== undefined)
    .sort((a, b) => a.id - b.id);
  const byName = new Map(withGw.map((t) => [t.name, t]));
  return withGw.map((t) => {
    const egress = t.egress ?? DEFAULT_EGRESS;
    const peers = egress.allowTenants.flatMap((other) => {
      const o = byName.get(other);
      if (!o || !(o.egress ?? DEFAULT_EGRESS).allowTenants.includes(t.name)) return [];
      return [{ tenant: o.name, subnet: o.subnet, name: gatewayName(bridge, o.id) }];
    });
    return {
      tenant: t.name,
      tenantId: t.id,
      name: gatewayName(bridge, t.id),
      mac: gatewayMac(t.id),
      ip: t.gateway,
      prefixLen: Number(t.subnet.split('/')[1]),
      subnet: t.subnet,
      snat: egress.snat,
      peers,
      hostServices: egress.hostServices,
    };
  });
}
