import { join } from 'node:path';

/** The OpenFlow management socket ovs-vswitchd opens for `bridge` in its run directory. */
export function mgmtSocketPath(ovsRundir: string, bridge: string): string {
  return join(ovsRundir, `${bridge}.mgmt`);
}

/** The same socket as an `ovs-ofctl`/`ovs-appctl` target. */
export function mgmtTarget(ovsRundir: string, bridge: string): string {
  return `unix:${mgmtSocketPath(ovsRundir, bridge)}`;
}
