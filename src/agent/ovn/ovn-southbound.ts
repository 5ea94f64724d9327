import type { Observable } from 'rxjs';
import { cond, ovsMap, type OvsdbClientApi } from '../../ovsdb/index.js';
import { TypedReplica } from '../../ovsdb/client/typed-replica.js';
import { OVN_SB_DB, SB_COLUMNS, SB_MAPPERS, type SbSnapshot } from '../../ovsdb/ovn-sb/sb-rows.js';
import { ExternalIds } from '../../core/ownership.js';
import type { Logger } from '../../observe/logger.js';

/** What the southbound database says of this chassis and its ports (read only, for /status). */
export interface ChassisView {
  /** ovn-controller registered the chassis (its Chassis row exists). */
  readonly registered: boolean;
  readonly hostname: string | undefined;
  /** "geneve 172.31.0.11", one per tunnel endpoint. */
  readonly encaps: readonly string[];
  /** Per logical port name: the chassis bound it (Port_Binding.chassis is ours) and whether it is up. */
  readonly bindings: ReadonlyMap<string, { readonly boundHere: boolean; readonly up: boolean }>;
}

/**
 * The southbound side: this chassis' Chassis and Encap rows and the
 * Port_Bindings of its ports (ovn-northd copies a logical port's external_ids,
 * so they are found by nsvswitch-chassis), monitored with conditions: the
 * agent never downloads the whole southbound database.
 */
export class OvnSouthbound {
  private constructor(readonly systemId: string, private readonly replica: TypedReplica<typeof SB_MAPPERS>) {}

  static async start(client: OvsdbClientApi, systemId: string, logger: Logger): Promise<OvnSouthbound> {
    const replica = await TypedReplica.start(client, OVN_SB_DB, {
      Chassis: { columns: SB_COLUMNS.Chassis, where: [cond('name', '==', systemId)] },
      Encap: { columns: SB_COLUMNS.Encap, where: [cond('chassis_name', '==', systemId)] },
      Port_Binding: { columns: SB_COLUMNS.Port_Binding, where: [cond('external_ids', 'includes', ovsMap({ [ExternalIds.chassis]: systemId }))] },
    }, SB_MAPPERS, { logger });
    return new OvnSouthbound(systemId, replica);
  }

  get changes$(): Observable<SbSnapshot> {
    return this.replica.changes$;
  }

  view(): ChassisView {
    return chassisView(this.replica.snapshot(), this.systemId);
  }

  async stop(): Promise<void> {
    await this.replica.stop().catch(() => undefined);
  }
}

export function chassisView(snap: SbSnapshot, systemId: string): ChassisView {
  const chassis = [...snap.Chassis.values()].find((c) => c.name === systemId);
  const encaps = [...snap.Encap.values()].filter((e) => e.chassis_name === systemId).map((e) => `${e.type} ${e.ip}`).sort();
  const bindings = new Map<string, { boundHere: boolean; up: boolean }>();
  for (const b of snap.Port_Binding.values()) bindings.set(b.logical_port, { boundHere: chassis !== undefined && b.chassis === chassis._uuid, up: b.up === true });
  return { registered: chassis !== undefined, hostname: chassis?.hostname, encaps, bindings };
}
