/**
 * external_ids keys nsvswitch writes on what it owns. The database is the
 * record of what nsvswitch did: a restart re-reads these and changes nothing.
 */
export const OWNER_KEY = 'nsvswitch-owner';
export const OWNER_VALUE = 'nsvswitch';
export const ExternalIds = {
  owner: OWNER_KEY,
  tenant: 'nsvswitch-tenant',
  tenantId: 'nsvswitch-tenant-id',
  netns: 'nsvswitch-netns',
  netnsInode: 'nsvswitch-netns-inode',
  ip: 'nsvswitch-ip',
  mac: 'nsvswitch-mac',
  ifName: 'nsvswitch-ifname',
  mtu: 'nsvswitch-mtu',
  gateway: 'nsvswitch-gateway',
  /** Dual-stack tenants: the port's IPv6 address with prefix (RFC 5952), and its IPv6 gateway. */
  ip6: 'nsvswitch-ip6',
  gateway6: 'nsvswitch-gateway6',
  /** `gateway` on a tenant's gateway port (Port and Interface): not a namespace's port. */
  role: 'nsvswitch-role',
  /** Ready marker (ovn-controller's ovn-installed is the model): set once plumbing and flows are in. */
  installed: 'nsvswitch-installed',
  /** OVS's own convention, read by other tools. */
  attachedMac: 'attached-mac',
  /** The runtime of the workload plugged (docker), when it is a runtime's workload. */
  runtime: 'nsvswitch-runtime',
  /** Its name (a Docker container name), as it was when plugged. */
  workload: 'nsvswitch-workload',
  /** Its id: ovs-docker's key, read by other tools. */
  containerId: 'container_id',
  /** ovn: the chassis (system-id) whose workload a logical switch port is; only that host's agent changes it. */
  chassis: 'nsvswitch-chassis',
  /** ovn: the namespace key (path#inode) a logical switch port was made for. */
  nsKey: 'nsvswitch-ns',
  /** ovn: the logical switch port an OVS interface is bound to (ovn-controller's key). */
  ifaceId: 'iface-id',
  /** ovn: set to true on an OVS interface by ovn-controller once the port's flows are installed. */
  ovnInstalled: 'ovn-installed',
} as const;
