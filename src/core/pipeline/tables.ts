/** Table numbers of the pipeline (gaps leave room for later stages, e.g. conntrack policy). */
export const Table = {
  /** Port security + tenant classification. */
  classify: 0,
  /** ARP responder for the tenant's known addresses. */
  arp: 10,
  /** IPv6 neighbour discovery guard: NA only for the port's own addresses, NS/NA link-layer options its own MAC. */
  ndGuard: 12,
  /** IPv6 neighbour solicitations for the tenant's addresses answered by the switch (an NA built in place). */
  ndResponder: 14,
  /** The second half of the answer: its target link-layer option (a field OVS lets a flow set only on an NA). */
  ndReply: 15,
  /** L2 forwarding within the tenant. */
  l2: 20,
} as const;

/** Flow priorities, named by what they decide. */
export const Priority = {
  /** Above every allow flow: DHCP server messages from any port (addresses are static). */
  dhcpServerDrop: 110,
  /** Same level: router advertisements, redirects and DHCPv6 server messages from any port. */
  ipv6RouterDrop: 110,
  portAllow: 100,
  /** A dual-stack port's IPv6 that its allow flows did not take: spoofing (above the bridge's IPv6 drop). */
  portSpoofDrop6: 70,
  /** Above the per-port spoof drop so IPv6 is reported as a policy, not as spoofing. */
  ipv6Drop: 60,
  portSpoofDrop: 50,
  arpResponder: 100,
  ndAllow: 100,
  ndSpoofDrop: 50,
  ndResponder: 100,
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
  raDrop: 0x06,
  redirectDrop: 0x07,
  dhcp6ServerDrop: 0x08,
  ndSpoofDrop: 0x09,
  ndGuardMiss: 0x0a,
  ndResponderMiss: 0x0b,
  ndReply: 0x0c,
  portIp: 0x10,
  portArp: 0x11,
  portSpoofDrop: 0x12,
  gatewayIp: 0x13,
  gatewayArp: 0x14,
  portIp6: 0x15,
  portNd: 0x16,
  arpResponder: 0x20,
  ndResponder: 0x21,
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
