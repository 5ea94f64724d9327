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
} as const;
