import { HeapSettler } from '../observe/heap-settle.js';
import { forgetMemos } from '../openflow/bounded-memo.js';
import { Subject, Subscription, merge, map, filter, scan, tap } from 'rxjs';
import type { AgentConfig } from '../config/types.js';
import type { DesiredDeps } from '../core/desired.js';
import type { MacDeriver } from '../core/macs.js';
import { matchNamespace } from '../manifests/index.js';
import { TenantAllocator, ipInSubnet } from '../ipam/index.js';
import type { Logger } from '../observe/logger.js';
import { Metrics } from '../observe/metrics.js';
import { startHttpServer, type HttpServerHandle } from '../observe/http-server.js';
import type { StatusReport } from '../observe/status-types.js';
import { FlowSync } from '../openflow/index.js';
import { selectFlowDriver } from '../openflow/native/select-flow-driver.js';
import { OvsdbClient, VswitchReplica } from '../ovsdb/index.js';
import { NftGatewayHost, selectPlumbing, type SelectedPlumbing } from '../plumbing/index.js';
import { disablesTxChecksum, hostGuardFor } from './host-guard.js';
import { version } from '../version.js';
import { OvsPorts } from './ovs-ports.js';
import { FlowMetrics } from './flow-metrics.js';
import { OWNER_COOKIE } from '../core/pipeline/cookie.js';
import { Reconciler } from './reconciler.js';
import { buildStatus } from './status.js';
import { tenantTraffic$ } from './tenant-stats.js';
import { gatewayCounterReader, gatewayMetricsCollector } from './gateway-traffic.js';
import { AgentWorkloads } from './workload-sources.js';
import { BridgeKeeper } from './bridge-keeper.js';
import { latch } from './latch.js';
import { NamespaceTroubles } from './namespace-troubles.js';
import { EMPTY_PASS_INPUT, FOLDED_START, foldEvent, type AgentEvent, type PassInput, type Trigger } from './pass-input.js';
import { PassLoop } from './pass-loop.js';
import { logBridgeReady, warnIfNoUserspaceTso } from './startup-report.js';
import { flowLossTriggers$ } from './sources/flow-loss-triggers.js';
import { foreignFlowTriggers$ } from './sources/foreign-flow-triggers.js';
import { namespaceEvents$ } from './sources/namespace-events.js';
import { ovsdbLink$ } from './sources/ovsdb-link.js';
import { OwnedStateGate, ovsdbTriggers$ } from './sources/ovsdb-triggers.js';
import { resyncTriggers$ } from './sources/resync-triggers.js';
import { tenantEvents$ } from './sources/tenant-events.js';
import { OvnBackend } from './ovn/ovn-backend.js';

export { FOREIGN_FLOW_BATCH_MS } from './sources/foreign-flow-triggers.js';
export { TENANT_STATS_INTERVAL_MS } from './tenant-stats.js';

export interface AgentOptions {
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Serve /metrics /healthz /readyz /status (default true). */
  readonly http?: boolean;
  /** Extra environment for OVS tools (OVS_RUNDIR etc.). */
  readonly ovsEnv?: Readonly<Record<string, string>>;
  /** Namespaces plugged in one pass at most (default MAX_PLUGS_PER_PASS; tests make it small). */
  readonly maxPlugsPerPass?: number;
  /** MAC candidates of a namespace key (default macFor; tests make two namespaces collide). */
  readonly macCandidates?: MacDeriver;
}

const coreDeps: DesiredDeps = {
  match: (tenants, ns) => matchNamespace(tenants, ns),
  allocator: (tenant, used) => new TenantAllocator(tenant, used),
  inSubnet: ipInSubnet,
};

/**
 * The agent: composition of sources (namespaces, manifests, OVSDB, timers,
 * flow loss) into coalesced reconcile passes. Start → wait for the replica
 * and the first scans → one full pass (adoption and garbage collection) →
 * event-driven passes. stop() is a drain, not an uninstall: ports and flows stay.
 */
export class Agent {
  private readonly subs = new Subscription();
  /** The agent's own events into the fold: its triggers (start, retries, resync requests), stale keys taken and given back. */
  private readonly events$ = new Subject<AgentEvent>();
  /** SIGHUP: re-read the manifest directory now (see reloadManifests). */
  private readonly manifestReload$ = new Subject<void>();
  private http: HttpServerHandle | undefined;
  private isReady = false;
  private connected = false;
  private stopped = false;
  /** The sources' events folded: what the next pass takes, and what /status shows. */
  private inputs: PassInput = EMPTY_PASS_INPUT;
  private readonly bridge: BridgeKeeper;
  /** Lets OVSDB changes through only when our ports' state differs from what the last pass left. */
  private readonly gate: OwnedStateGate;
  /** Namespace directories that cannot be read and refused files (shown in /status). */
  private readonly troubles: NamespaceTroubles;
  private readonly loop: PassLoop;
  /** After a burst, one garbage collection (src/observe/heap-settle.ts). */
  private readonly settler: HeapSettler;
  readonly metrics: Metrics;
  readonly reconciler: Reconciler;
  /** Which plumbing plugs namespaces (in-process netlink or processes), and why. */
  readonly plumbing: SelectedPlumbing;
  /** Runtime workload metadata (Docker), when configured. */
  readonly workloads: AgentWorkloads;
  /** Resolves after the first full pass. */
  readonly ready: Promise<void>;
  private markReady!: () => void;
  private readonly closeFlowDriver: () => void;
  private readonly forgetFlowDumps: () => void;

  private constructor(
    readonly config: AgentConfig,
    private readonly client: OvsdbClient,
    private readonly replica: VswitchReplica,
    private readonly opts: AgentOptions,
    /** Backend ovn: the northbound and southbound sides (undefined: backend local). */
    private readonly ovn?: OvnBackend,
  ) {
    this.metrics = opts.metrics ?? new Metrics();
    this.ready = new Promise((r) => (this.markReady = r));
    this.bridge = new BridgeKeeper(client, replica, config, opts.logger);
    this.gate = new OwnedStateGate(config.bridge);
    this.troubles = new NamespaceTroubles(this.metrics);
    this.settler = new HeapSettler({
      // The memos (flow keys, codec texts, interface names) and the last dump's flows: rebuilt by the next pass.
      // The flow changes recently sent: a monitor update still late after 1 s quiet costs one repair pass.
      beforeCollect: () => {
        forgetMemos();
        this.forgetFlowDumps();
        this.reconciler.forgetSentFlows();
      },
      onSettle: (r) => {
        this.metrics.heapSettle.observe(r.durationMs / 1000);
        opts.logger.debug({ bridge: config.bridge, changes: r.changes, durationMs: Math.round(r.durationMs), heapUsedMiB: [r.heapUsedBefore, r.heapUsedAfter].map((b) => Math.round(b / 1048576)) }, 'heap settled after a burst');
      },
    });
    const env = { OVS_RUNDIR: config.ovsRundir, ...opts.ovsEnv };
    const spawned = (program: string) => this.metrics.processSpawns.inc({ program });
    this.workloads = new AgentWorkloads(config, opts.logger, this.metrics);
    // The full sync checks the gateway table in-process or with `nft` as the rest of the plumbing goes (config `plumbing`).
    const gatewayHost = new NftGatewayHost({ bridge: config.bridge, ...(config.hostNetns ? { hostNetns: config.hostNetns } : {}), logger: opts.logger, onSpawn: spawned, nftables: config.plumbing });
    this.metrics.setGatewayCollector(gatewayMetricsCollector(gatewayCounterReader(gatewayHost, { plumbing: config.plumbing, bridge: config.bridge, hostNetns: config.hostNetns, logger: opts.logger }), this.metrics, () => this.inputs.tenants.tenants, opts.logger));
    // Before anything that opens a connection: `plumbing: native` without the addon throws here.
    const hostGuard = hostGuardFor(config, opts.logger, spawned);
    this.plumbing = selectPlumbing(config.plumbing, {
      ...(config.hostNetns ? { hostNetns: config.hostNetns } : {}),
      logger: opts.logger,
      onSpawn: spawned,
      guard: hostGuard,
      disableTxChecksum: disablesTxChecksum(config),
    });
    this.metrics.nativeActive.set({ part: 'netlink' }, this.plumbing.path === 'netlink' ? 1 : 0);
    this.metrics.nativeActive.set({ part: 'nftables' }, hostGuard.nftInProcess ? 1 : 0);
    const flows = selectFlowDriver(config.flowDriver, {
      ovsRundir: config.ovsRundir, cookie: OWNER_COOKIE, env, ...(config.hostNetns ? { hostNetns: config.hostNetns } : {}), onSpawn: () => spawned('ovs-ofctl'),
      logger: opts.logger, onPath: (native) => this.metrics.nativeActive.set({ part: 'openflow' }, native ? 1 : 0),
    });
    const flowDriver = flows.driver;
    this.closeFlowDriver = () => flows.close();
    this.forgetFlowDumps = () => flows.forget();
    this.reconciler = new Reconciler({
      config,
      bridgeUuid: () => this.bridge.uuid,
      ovs: new OvsPorts(client, replica),
      plumbing: this.plumbing.plumbing,
      flowDriver,
      flowSync: new FlowSync(flowDriver, { logger: opts.logger, observer: new FlowMetrics(this.metrics) }),
      // ovn: the logical side instead of gateways and flows (ovn-controller owns the integration bridge's flows).
      ...(ovn ? { ovn: ovn.steps } : { gateways: gatewayHost }),
      core: opts.macCandidates ? { ...coreDeps, mac: opts.macCandidates } : coreDeps,
      logger: opts.logger,
      metrics: this.metrics,
      ...(opts.maxPlugsPerPass !== undefined ? { maxPlugsPerPass: opts.maxPlugsPerPass } : {}),
      onNamespaceGone: (path) => this.workloads.noteGone(path),
      normalisePath: this.workloads.normalise,
    });
    this.loop = new PassLoop({
      reconciler: this.reconciler, bridge: this.bridge, bridgeName: config.bridge, gate: this.gate, snapshot: () => replica.snapshot(),
      current: () => this.inputs, dispatch: (ev) => this.events$.next(ev), logger: opts.logger, metrics: this.metrics, settler: this.settler,
    });
  }

  static async start(config: AgentConfig, opts: AgentOptions): Promise<Agent> {
    const log = opts.logger;
    const metrics = opts.metrics ?? new Metrics();
    const client = await OvsdbClient.connect(config.ovsdb, {
      logger: log,
      onTransaction: (t) => {
        metrics.ovsdbTransactions.inc({ kind: t.kind, result: t.ok ? 'ok' : 'error' });
        metrics.ovsdbTransactionDuration.observe({ kind: t.kind }, t.durationMs / 1000);
      },
      onAnomaly: (kind) => metrics.ovsdbAnomalies.inc({ kind }),
    });
    let replica: VswitchReplica;
    try {
      replica = await VswitchReplica.start(client, { logger: log });
    } catch (err) {
      await client.close();
      throw err;
    }
    let ovn: OvnBackend | undefined;
    let agent: Agent;
    try {
      // Backend ovn: this host set up for ovn-controller, then the northbound database, before the first pass.
      if (config.backend === 'ovn') ovn = await OvnBackend.start(config, { client, snapshot: () => replica.snapshot() }, log, metrics);
      agent = new Agent(config, client, replica, { ...opts, metrics }, ovn);
    } catch (err) {
      await ovn?.stop();
      await replica.stop();
      await client.close();
      throw err;
    }
    try {
      await agent.run();
    } catch (err) {
      await agent.stop();
      throw err;
    }
    return agent;
  }

  private async run(): Promise<void> {
    const { config, opts, metrics, reconciler } = this;
    const log = opts.logger.child({ bridge: config.bridge });
    this.subs.add(ovsdbLink$(this.client, metrics, (c) => (this.connected = c)).subscribe((ev) => this.events$.next(ev)));
    logBridgeReady(log, config, await this.bridge.ensure(), this.plumbing);
    await warnIfNoUserspaceTso(this.client, config, opts.logger);
    await this.serveHttp(log);

    // Sources: streams of events, folded into the next pass's input; most of them also ask for a pass.
    const tenantsIn = latch();
    const namespacesIn = latch();
    const events$ = merge(
      this.events$,
      this.workloads.events$(),
      tenantEvents$({ config, logger: opts.logger, metrics, reload$: this.manifestReload$, current: () => this.inputs, normalisePath: this.workloads.normalise, onFirstTenants: tenantsIn.open }),
      namespaceEvents$({ config, logger: opts.logger, metrics, troubles: this.troubles, onInitialScan: namespacesIn.open, recheck$: this.workloads.recheck$, runtimeDirs: this.workloads.runtimeDirs(config.namespaceDirs) }),
      ovsdbTriggers$(this.replica.changes$, this.gate),
      resyncTriggers$(config.resyncIntervalMs),
      // ovn: no OpenFlow of ours at all (no flow loss to replay, no flow monitor); the northbound's changes instead.
      ...(this.ovn ? [this.ovn.events$()] : [
        flowLossTriggers$(config, opts.logger, metrics, () => reconciler.invalidateFlows()),
        foreignFlowTriggers$({ config, ovsEnv: opts.ovsEnv, logger: opts.logger, metrics, judge: (ev) => reconciler.foreignFlowChange(ev) }),
      ]),
    );
    const triggers$ = events$.pipe(
      scan(foldEvent, FOLDED_START),
      tap((folded) => (this.inputs = folded.input)),
      map((folded) => folded.trigger),
      filter((t): t is Trigger => t !== undefined),
    );
    // One subscription for the sources, the passes and, beside them, the tenant traffic counters.
    this.subs.add(merge(this.loop.run(triggers$), tenantTraffic$(this.replica.changes$, metrics, config.bridge)).subscribe());

    // Start once the first manifests are in, every namespace directory was looked at once, and each runtime
    // answered once (a listing, or a failure: a restart adopts containers' ports as they are): one full pass.
    await Promise.all([tenantsIn.done, namespacesIn.done, this.workloads.firstAnswers()]);
    await this.loop.start();
    this.isReady = true;
    metrics.ready.set(1);
    this.markReady();
    log.info({ namespaces: this.inputs.namespaces.size, tenants: this.inputs.tenants.tenants.size }, 'initial sync done: ready');
  }

  /** Serves /metrics /healthz /readyz /status unless turned off. */
  private async serveHttp(log: Logger): Promise<void> {
    if (!(this.opts.http ?? true)) return;
    this.http = await startHttpServer({
      listen: this.config.metricsListen,
      metrics: this.metrics,
      logger: this.opts.logger,
      health: () => ({ ok: this.connected, checks: { process: true, ovsdb: this.connected } }),
      ready: () => this.isReady,
      status: () => this.status(),
    });
    log.info({ listen: `${this.http.address}:${this.http.port}` }, 'http endpoint listening');
  }

  /** host:port the HTTP endpoint listens on (port 0 in the config is resolved here), if serving. */
  get httpAddress(): string | undefined {
    return this.http ? `${this.http.address}:${this.http.port}` : undefined;
  }

  /** Re-reads every manifest file now, changed on disk or not (SIGHUP); a changed tenant set triggers a pass as usual. */
  reloadManifests(): void {
    this.manifestReload$.next();
  }

  /** Triggers a pass now (for `resync` requests and tests). */
  resync(full = true): void {
    this.events$.next({ kind: 'trigger', trigger: { reason: 'resync', full } });
  }

  status(): StatusReport {
    const report = buildStatus({
      version,
      bridge: this.config.bridge,
      ready: this.isReady,
      ovsdbConnected: this.connected,
      reconciler: this.reconciler,
      inputs: this.inputs,
      normalisePath: this.workloads.normalise,
      snapshot: this.replica.snapshot(),
      dirErrors: this.troubles.dirErrors,
      refused: this.troubles.refusedFiles,
    });
    return this.ovn ? { ...report, ovn: this.ovn.status(this.replica.snapshot(), (key) => this.inputs.namespaces.get(key)?.path) } : report;
  }

  /** Graceful stop: no new passes, the one in flight finishes; ports and flows stay in place. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const drained = this.loop.stop();
    this.settler.stop();
    this.subs.unsubscribe();
    await drained;
    await this.http?.close().catch(() => undefined);
    await this.ovn?.stop();
    await this.replica.stop().catch(() => undefined);
    await this.client.close().catch(() => undefined);
    this.closeFlowDriver();
  }
}
