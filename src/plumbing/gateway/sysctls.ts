import { interfaceSysctls, type InterfaceSysctl, type SysctlTemplate } from '../sysctl-table.js';

/**
 * Per-interface sysctls of a gateway interface: it routes (forwarding on),
 * answers ARP only for its own address and announces only it, filters
 * reverse paths, sends and takes no redirects and no source routes, and has
 * no IPv6.
 */
export const GATEWAY_SYSCTLS: readonly SysctlTemplate[] = [
  ['ipv6/conf/%s/disable_ipv6', '1'],
  ['ipv4/conf/%s/forwarding', '1'],
  ['ipv4/conf/%s/rp_filter', '1'],
  ['ipv4/conf/%s/arp_ignore', '1'],
  ['ipv4/conf/%s/arp_announce', '2'],
  ['ipv4/conf/%s/accept_redirects', '0'],
  ['ipv4/conf/%s/send_redirects', '0'],
  ['ipv4/conf/%s/accept_source_route', '0'],
];

/** The host's IPv4 forwarding switch, on: the host routes the tenants' traffic. */
export const IP_FORWARD_ON: InterfaceSysctl = { path: '/proc/sys/net/ipv4/ip_forward', key: 'net.ipv4.ip_forward', value: '1' };

/** `/proc/sys/net/...` path, key and value of every sysctl of gateway interface `ifName`. Throws TypeError on an unsafe name. */
export function gatewayInterfaceSysctls(ifName: string): InterfaceSysctl[] {
  return interfaceSysctls(GATEWAY_SYSCTLS, ifName);
}
