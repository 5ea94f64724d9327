import type { Observable } from 'rxjs';
import type { NbSnapshot } from '../../ovsdb/ovn-nb/nb-rows.js';
import type { DesiredLsp, DesiredSwitch } from '../../core/ovn/logical-records.js';
import type { OwnLsp } from '../../core/ovn/nb-view.js';

/** Why a claim did not go in: another host holds the address or MAC (a race), or the name or switch is not usable. */
export type ClaimRefusal = 'address-taken' | 'mac-taken' | 'name-taken' | 'switch-gone';

export type ClaimOutcome = { readonly ok: true } | { readonly ok: false; readonly why: ClaimRefusal; readonly message: string };

/**
 * The OVN backend's logical side: what the reconciler reads from and writes
 * to the northbound database. `OvnNorthbound` is the real one (our OVSDB
 * client, leader-only, over the cluster's members); unit tests pass a fake.
 */
export interface LogicalSide {
  /** This host's chassis name (Open_vSwitch external_ids:system-id). */
  readonly systemId: string;
  /** The replica of Logical_Switch and Logical_Switch_Port (immutable). */
  snapshot(): NbSnapshot;
  /** A snapshot after each change (other hosts' ports included). */
  readonly changes$: Observable<NbSnapshot>;
  /**
   * Makes the tenant switches no host has made yet, idempotent across hosts:
   * a switch another host made first is used (never a second one).
   */
  ensureSwitches(create: readonly DesiredSwitch[]): Promise<void>;
  /**
   * Inserts logical switch ports in one transaction that fails on a conflict
   * (another host's port with the same address or MAC); a refused port is
   * left out and the rest retried. Outcome per LSP name.
   */
  claim(lsps: readonly DesiredLsp[]): Promise<ReadonlyMap<string, ClaimOutcome>>;
  /** Deletes this chassis' own ports, in one transaction. */
  release(lsps: readonly OwnLsp[]): Promise<void>;
}
