import { auditTime, distinctUntilChanged, filter, ignoreElements, map, merge, tap, type Observable } from 'rxjs';
import { OvsdbClient, type VswitchSnapshot } from '../../ovsdb/index.js';
import { OVN_NB_DB, type NbSnapshot } from '../../ovsdb/ovn-nb/nb-rows.js';
import { OVN_SB_DB } from '../../ovsdb/ovn-sb/sb-rows.js';
import type { AgentConfig } from '../../config/types.js';
import { nbView } from '../../core/ovn/nb-view.js';
import { ownedPorts } from '../../core/owned-ports.js';
import type { Logger } from '../../observe/logger.js';
import type { Metrics } from '../../observe/metrics.js';
import type { OvnPortStatus, OvnStatus } from '../../observe/status-types.js';
import type { AgentEvent } from '../pass-input.js';
import { OvnNorthbound } from './ovn-nb.js';
import { OvnSouthbound } from './ovn-southbound.js';
import { OvnSteps } from './ovn-steps.js';
import { hostSettings, resolveSystemId, setUpOvnHost } from './host-setup.js';

/**
 * Backend ovn, composed once at start: this host set up for ovn-controller,
 * the northbound client (leader-only, over the cluster's members) and its
 * replica, the southbound client (this chassis only, for status), and the
 * steps the reconciler runs.
 */
export class OvnBackend {
  private nbConnected = false;
  private sbConnected = false;
  private sb: OvnSouthbound | undefined;
  private sbClient: OvsdbClient | undefined;
  private stopped = false;

  private constructor(
    readonly systemId: string,
    private readonly config: AgentConfig,
    private readonly nbClient: OvsdbClient,
    readonly nb: OvnNorthbound,
    readonly steps: OvnSteps,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** Host setup (written only when different), then the northbound connection and replica; the southbound follows in the background. */
  static async start(config: AgentConfig, vswitch: { client: OvsdbClient; snapshot: () => VswitchSnapshot }, logger: Logger, metrics: Metrics): Promise<OvnBackend> {
    const systemId = resolveSystemId(config, vswitch.snapshot());
    const log = logger.child({ chassis: systemId });
    const wrote = await setUpOvnHost(vswitch.client, vswitch.snapshot(), hostSettings(config, systemId));
    if (wrote.length > 0) log.info({ keys: wrote, encapIp: config.ovnEncapIp, encapType: config.ovnEncapType, bridge: config.bridge }, 'host set up for ovn-controller (Open_vSwitch external_ids)');
    const nbClient = await OvsdbClient.connect(config.ovnNbRemotes ?? '', {
      logger: log, leaderOnly: true, databases: [OVN_NB_DB],
      onTransaction: (t) => metrics.ovnNbTransactions.inc({ kind: t.kind, result: t.ok ? 'ok' : 'error' }),
      onAnomaly: (kind) => metrics.ovsdbAnomalies.inc({ kind }),
    });
    let nb: OvnNorthbound;
    try {
      nb = await OvnNorthbound.start(nbClient, systemId, log);
    } catch (err) {
      await nbClient.close();
      throw err;
    }
    const backend = new OvnBackend(systemId, config, nbClient, nb, new OvnSteps(nb, log, metrics), log, metrics);
    log.info({ nb: config.ovnNbRemotes, sb: config.ovnSbRemotes, bridge: config.bridge, encap: `${config.ovnEncapType} ${config.ovnEncapIp}` }, 'backend ovn: northbound connected');
    void backend.startSouthbound();
    return backend;
  }

  private async startSouthbound(): Promise<void> {
    try {
      const client = await OvsdbClient.connect(this.config.ovnSbRemotes ?? '', { logger: this.log, leaderOnly: false, databases: [OVN_SB_DB], connectTimeoutMs: 60_000 });
      if (this.stopped) {
        await client.close();
        return;
      }
      this.sbClient = client;
      client.connected$.subscribe((c) => {
        this.sbConnected = c;
        this.metrics.ovnSbConnected.set(c ? 1 : 0);
      });
      this.sb = await OvnSouthbound.start(client, this.systemId, this.log);
    } catch (err) {
      this.log.warn({ err: (err as Error).message, sb: this.config.ovnSbRemotes }, 'southbound database not read (status only: chassis and bindings unknown)');
    }
  }

  /** Northbound connection state and the passes it asks for: a full one after a reconnect, one when this chassis' rows change. */
  events$(): Observable<AgentEvent> {
    const connected$ = this.nbClient.connected$.pipe(
      tap((c) => {
        this.nbConnected = c;
        this.metrics.ovnNbConnected.set(c ? 1 : 0);
      }),
      ignoreElements(),
    );
    const reconnects$ = this.nbClient.reconnects$.pipe(map((): AgentEvent => ({ kind: 'trigger', trigger: { reason: 'ovsdb', full: true } })));
    // Only what a pass reads of its own rows: its ports (someone deleted one) and the switches (one deleted, made).
    const changes$ = this.nb.changes$.pipe(
      // A burst of other hosts' claims is read once per 10 ms, not once per update.
      auditTime(10),
      map((s) => nbSignature(s, this.systemId)),
      distinctUntilChanged(),
      filter(() => !this.stopped),
      map((): AgentEvent => ({ kind: 'trigger', trigger: { reason: 'ovsdb' } })),
    );
    return merge(connected$, reconnects$, changes$);
  }

  get connected(): boolean {
    return this.nbConnected;
  }

  status(vswitch: VswitchSnapshot, nsPathOf: (key: string) => string | undefined): OvnStatus {
    const sbView = this.sb?.view();
    const nbOwn = nbView(this.nb.snapshot(), this.systemId).own;
    const ports: OvnPortStatus[] = [];
    for (const o of ownedPorts(vswitch, this.config.bridge).owned) {
      const lsp = o.ifaceId;
      if (lsp === undefined) continue;
      const base = { namespace: nsPathOf(o.key) ?? o.nsPath, tenant: o.tenant, lsp, installed: o.ovnInstalled === true };
      const b = sbView?.bindings.get(lsp);
      // Without the southbound, the northbound's `up` (ovn-northd copies it from the binding) still says something.
      const nbUp = nbOwn.get(lsp)?.row.up;
      ports.push(sbView ? { ...base, bound: b?.boundHere ?? false, up: b?.up ?? false } : nbUp !== undefined ? { ...base, up: nbUp } : base);
    }
    ports.sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0));
    return {
      chassis: this.systemId,
      nb: { connected: this.nbConnected, ...(this.nbClient.currentRemote ? { remote: this.nbClient.currentRemote } : {}) },
      sb: {
        connected: this.sbConnected, ...(this.sbClient?.currentRemote ? { remote: this.sbClient.currentRemote } : {}),
        chassisRegistered: sbView?.registered ?? false, encaps: sbView?.encaps ?? [],
      },
      ports,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.sb?.stop();
    await this.sbClient?.close().catch(() => undefined);
    await this.nb.stop();
    await this.nbClient.close().catch(() => undefined);
  }
}

/** A cheap fingerprint of this chassis' rows and the switches (other hosts' ports left out: they matter only when allocating). */
export function nbSignature(s: NbSnapshot, systemId: string): string {
  const v = nbView(s, systemId);
  const parts: string[] = [];
  for (const sw of v.switches.values()) parts.push(sw._uuid, sw.name, sw.other_config['requested-tnl-key'] ?? '');
  for (const l of v.own.values()) parts.push(l.uuid, l.name, l.switchUuid ?? '', l.row.addresses.join(','), l.row.port_security.join(','), l.row.options['requested-chassis'] ?? '', l.key, l.ip, l.mac, l.tenant);
  return parts.join('\u0000');
}
