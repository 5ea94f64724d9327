/** Table numbers of the pipeline (gaps leave room for later stages, e.g. conntrack policy). */
export const Table = {
  /** Port security + tenant classification. */
  classify: 0,
  /** ARP responder for the tenant's known addresses. */
  arp: 10,
  /** L2 forwarding within the tenant. */
  l2: 20,
} as const;

/** Flow priorities, named by what they decide. */
export const Priority = {
  /** Above every allow flow: DHCP server messages from any port (addresses are static). */
  dhcpServerDrop: 110,
  portAllow: 100,
  /** Above the per-port spoof drop so IPv6 is reported as a policy, not as spoofing. */
  ipv6Drop: 60,
  portSpoofDrop: 50,
  arpResponder: 100,
  l2Unicast: 100,
  l2Flood: 50,
  tableMiss: 0,
} as const;

/**
 * Cookie categories (low 24 bits of the cookie): which rule a flow is, so a
 * trace or a dump can say why a packet went where it went.
 */
export const Category = {
  classifyMiss: 0x01,
  ipv6Drop: 0x02,
  arpMiss: 0x03,
  l2Miss: 0x04,
  dhcpServerDrop: 0x05,
  portIp: 0x10,
  portArp: 0x11,
  portSpoofDrop: 0x12,
  gatewayIp: 0x13,
  gatewayArp: 0x14,
  arpResponder: 0x20,
  l2Unicast: 0x30,
  l2Flood: 0x31,
} as const;
export type CategoryName = keyof typeof Category;

export function categoryName(code: number): CategoryName | undefined {
  for (const [name, c] of Object.entries(Category)) if (c === code) return name as CategoryName;
  return undefined;
}

/**
 * Untagged frames only: no 802.1Q/802.1ad header at all (OVS sets bit 0x1000
 * of vlan_tci for any tag, also a priority tag with VID 0). Written the way
 * ovs-ofctl prints it back: OpenFlow 1.3+ stores "no VLAN" as VID 0 under
 * mask 0x1fff (`vlan_tci=0x0000` goes in and comes out like this), so the
 * flow diff sees desired and dumped as equal.
 */
export const UNTAGGED = 'vlan_tci=0x0000/0x1fff';

/** Ethernet group bit: matches every broadcast and multicast destination. */
export const MULTICAST_DST = '01:00:00:00:00:00/01:00:00:00:00:00';
