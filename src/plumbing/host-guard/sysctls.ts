import { interfaceSysctls, type InterfaceSysctl, type SysctlTemplate } from '../sysctl-table.js';

/**
 * Per-interface sysctls of a host veth end: no IPv6 at all (no link-local,
 * no SLAAC, no RA, no MLD or router solicitations sent into a tenant), no
 * ARP answers for any host address, nothing received there forwarded, and
 * reverse-path filtering on. With the ingress drop they are a second wall;
 * on the `system` datapath (where no ingress drop is installed) they are the
 * host's own settings for a device that ovs-vswitchd already consumes.
 */
export const HOST_END_SYSCTLS: readonly SysctlTemplate[] = [
  ['ipv6/conf/%s/disable_ipv6', '1'],
  ['ipv6/conf/%s/accept_ra', '0'],
  ['ipv6/conf/%s/forwarding', '0'],
  ['ipv4/conf/%s/arp_ignore', '8'],
  ['ipv4/conf/%s/forwarding', '0'],
  ['ipv4/conf/%s/rp_filter', '1'],
  ['ipv4/conf/%s/accept_redirects', '0'],
  ['ipv4/conf/%s/accept_source_route', '0'],
];

/** `/proc/sys/net/...` path and value of every host-end sysctl of `ifname`. */
export function hostEndSysctls(ifname: string): InterfaceSysctl[] {
  return interfaceSysctls(HOST_END_SYSCTLS, ifname);
}
