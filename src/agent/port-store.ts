import type { Observable } from 'rxjs';
import type { VswitchSnapshot } from '../ovsdb/index.js';
import type { DesiredPort, OwnedPort } from '../core/model.js';
import type { DesiredGateway } from '../core/gateway/desired-gateways.js';

/**
 * What the reconciler and `nsvswitch uninstall` need from OVSDB: the
 * replica's view and the few transactions they write. `OvsPorts` is the real
 * one; unit tests pass an in-memory fake.
 */
export interface PortStore {
  /** The current, immutable view of the bridge, ports and interfaces. */
  snapshot(): VswitchSnapshot;
  /** A new snapshot after each change (ovs-vswitchd writing ofports included). */
  readonly changes$: Observable<VswitchSnapshot>;
  /** Records plugged ports in one transaction (`ofportRequests[i]` for port i) and waits until ovs-vswitchd applied it. */
  addPorts(bridgeUuid: string, ports: readonly DesiredPort[], ofportRequests?: readonly (number | undefined)[]): Promise<void>;
  /** Records tenant gateway ports (OVS internal ports) in one transaction and waits until ovs-vswitchd applied it. */
  addGateways(bridgeUuid: string, gws: readonly DesiredGateway[], ofportRequests?: readonly (number | undefined)[]): Promise<void>;
  /** Detaches ports from the bridge in one transaction; `waitApplied` also waits for ovs-vswitchd (cur_cfg). */
  removePorts(bridgeUuid: string, ports: readonly Pick<OwnedPort, 'portUuid'>[], opts?: { readonly waitApplied?: boolean; readonly comment?: string }): Promise<void>;
  /** Sets the ready marker on interfaces whose plumbing and flows are in. */
  markInstalled(ifaceUuids: readonly string[]): Promise<void>;
}
