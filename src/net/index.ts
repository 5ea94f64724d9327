// Network rules in one home: interface names, IPv4, IPv6, MTU, OpenFlow port numbers, tenant ids.
export { IFNAME_MAX_BYTES, IFNAME_RULE, KERNEL_IFNAME_RULE, RESERVED_IFNAMES, isKernelIfName, isSafeIfName, workloadIfNameFault } from './ifname.js';
export { parseIpv4, formatIpv4, parseCidr, maskOf, networkOf, rangeOf, cidrsOverlap, isIpv4, ipInSubnet, type Cidr } from './ipv4.js';
export {
  IPV6_TEXT_MAX, LINK_LOCAL_6, MULTICAST_6, RESERVED_ZERO_6, parseIpv6, formatIpv6, canonicalIpv6, isIpv6, parseCidr6, mask6Of, network6Of, range6Of,
  cidrs6Overlap, ipv6InSubnet, ipv6Groups, eui64LinkLocal, solicitedNode, multicastMac6, type Cidr6,
} from './ipv6.js';
export { MTU_MIN, MTU_MAX, isValidMtu } from './mtu.js';
export { MAX_OFPORT, OFPORT_REQUEST_MIN, isUsableOfport } from './ofport.js';
export { TENANT_ID_MIN, TENANT_ID_MAX, isValidTenantId } from './tenant-id.js';
