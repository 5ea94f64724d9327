// Network rules in one home: interface names, IPv4, MTU, OpenFlow port numbers, tenant ids.
export { IFNAME_MAX_BYTES, IFNAME_RULE, KERNEL_IFNAME_RULE, RESERVED_IFNAMES, isKernelIfName, isSafeIfName, workloadIfNameFault } from './ifname.js';
export { parseIpv4, formatIpv4, parseCidr, maskOf, networkOf, rangeOf, cidrsOverlap, isIpv4, ipInSubnet, type Cidr } from './ipv4.js';
export { MTU_MIN, MTU_MAX, isValidMtu } from './mtu.js';
export { MAX_OFPORT, OFPORT_REQUEST_MIN, isUsableOfport } from './ofport.js';
export { TENANT_ID_MIN, TENANT_ID_MAX, isValidTenantId } from './tenant-id.js';
