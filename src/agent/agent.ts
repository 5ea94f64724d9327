import { Subject, Subscription, merge, map, timer, filter, auditTime, mergeMap, EMPTY, tap } from 'rxjs';
import type { AgentConfig } from '../config/types.js';
import type { DesiredDeps } from '../core/desired.js';
import type { MacDeriver } from '../core/macs.js';
import { matchNamespace } from '../manifests/index.js';
import { watchManifests$ } from '../manifests/index.js';
import { TenantAllocator, ipInSubnet } from '../ipam/index.js';
import { watchNamespaces$ } from '../netns/index.js';
import type { Logger } from '../observe/logger.js';
import { Metrics } from '../observe/metrics.js';
import { startHttpServer, type HttpServerHandle } from '../observe/http-server.js';
import type { StatusReport } from '../observe/status-types.js';
import { FlowSync, flowLoss$, type FlowEvent } from '../openflow/index.js';
import { selectFlowDriver } from '../openflow/native/select-flow-driver.js';
import { selectFlowWatch$ } from '../openflow/native/select-flow-watch.js';
import { OvsdbClient, VswitchReplica } from '../ovsdb/index.js';
import { NftGatewayHost, guardTableName, selectPlumbing, type SelectedPlumbing } from '../plumbing/index.js';
import { loadNative } from '../native/native.js';
import { disablesTxChecksum, hostGuardFor } from './host-guard.js';
import { runCoalesced } from '../reconcile/run-coalesced.js';
import { version } from '../version.js';
import { OvsPorts, ensureBridge } from './ovs-ports.js';
import { FlowMetrics } from './flow-metrics.js';
import { OWNER_COOKIE } from '../core/pipeline/cookie.js';
import { Reconciler, type Trigger } from './reconciler.js';
import { buildStatus } from './status.js';
import { ownedStateSignature } from '../core/owned-ports.js';
import { TenantTraffic } from './tenant-stats.js';
import { gatewayMetricsCollector } from './gateway-traffic.js';
import { AgentWorkloads, namespacesWithWorkloads } from './workload-sources.js';

/** Foreign flow changes seen within this window become one repair pass and one log line. */
export const FOREIGN_FLOW_BATCH_MS = 50;

/** How often per-tenant traffic counters are refreshed from OVSDB interface statistics. */
export const TENANT_STATS_INTERVAL_MS = 1000;

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
  private readonly triggers$ = new Subject<Trigger>();
  /** SIGHUP: re-read the manifest directory now (see reloadManifests). */
  private readonly manifestReload$ = new Subject<void>();
  private http: HttpServerHandle | undefined;
  private isReady = false;
  private connected = false;
  private bridgeUuid = '';
  private retryTimer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> = Promise.resolve();
  private stopped = false;
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

  private constructor(
    readonly config: AgentConfig,
    private readonly client: OvsdbClient,
    private readonly replica: VswitchReplica,
    private readonly opts: AgentOptions,
  ) {
    this.metrics = opts.metrics ?? new Metrics();
    this.ready = new Promise((r) => (this.markReady = r));
    const env = { OVS_RUNDIR: config.ovsRundir, ...opts.ovsEnv };
    const spawned = (program: string) => this.metrics.processSpawns.inc({ program });
    this.workloads = new AgentWorkloads(config, opts.logger, this.metrics);
    const gatewayHost = new NftGatewayHost({ bridge: config.bridge, ...(config.hostNetns ? { hostNetns: config.hostNetns } : {}), logger: opts.logger, onSpawn: spawned });
    this.metrics.setGatewayCollector(gatewayMetricsCollector(gatewayHost, this.metrics, () => this.reconciler.tenants.tenants, opts.logger));
    // Before anything that opens a connection: `plumbing: native` without the addon throws here.
    this.plumbing = selectPlumbing(config.plumbing, {
      ...(config.hostNetns ? { hostNetns: config.hostNetns } : {}),
      logger: opts.logger,
      onSpawn: spawned,
      guard: hostGuardFor(config, opts.logger, spawned),
      disableTxChecksum: disablesTxChecksum(config),
    });
    this.metrics.nativeActive.set({ part: 'netlink' }, this.plumbing.path === 'netlink' ? 1 : 0);
    const flows = selectFlowDriver(config.flowDriver, {
      ovsRundir: config.ovsRundir, cookie: OWNER_COOKIE, env, ...(config.hostNetns ? { hostNetns: config.hostNetns } : {}), onSpawn: () => spawned('ovs-ofctl'),
      logger: opts.logger, onPath: (native) => this.metrics.nativeActive.set({ part: 'openflow' }, native ? 1 : 0),
    });
    const flowDriver = flows.driver;
    this.closeFlowDriver = () => flows.close();
    this.reconciler = new Reconciler({
      config,
      bridgeUuid: () => this.bridgeUuid,
      ovs: new OvsPorts(client, replica),
      plumbing: this.plumbing.plumbing,
      flowDriver,
      flowSync: new FlowSync(flowDriver, { logger: opts.logger, observer: new FlowMetrics(this.metrics) }),
      gateways: gatewayHost,
      core: opts.macCandidates ? { ...coreDeps, mac: opts.macCandidates } : coreDeps,
      logger: opts.logger,
      metrics: this.metrics,
      ...(opts.maxPlugsPerPass !== undefined ? { maxPlugsPerPass: opts.maxPlugsPerPass } : {}),
      onNamespaceGone: (path) => this.workloads.noteGone(path),
      normalisePath: this.workloads.normalise,
    });
  }

  // Kept offloads on netdev work only if ovs-vswitchd finishes checksums itself (userspace TSO, read at its start).
  private async warnIfNoUserspaceTso(): Promise<void> {
    try {
      const [res] = await this.client.transact('Open_vSwitch', [{ op: 'select', table: 'Open_vSwitch', where: [], columns: ['other_config'] }]);
      const rows = (res as { rows?: { other_config?: unknown }[] } | undefined)?.rows ?? [];
      const text = JSON.stringify(rows[0]?.other_config ?? null);
      if (!/"userspace-tso-enable","true"/.test(text)) {
        this.opts.logger.warn({ bridge: this.config.bridge, txChecksumOffload: this.config.txChecksumOffload },
          'workload tx checksum offload kept on netdev, but Open_vSwitch other_config:userspace-tso-enable is not true: TCP and UDP between workloads will fail (set it and restart ovs-vswitchd, or use txChecksumOffload: auto)');
      }
    } catch (err) {
      this.opts.logger.debug({ err: (err as Error).message }, 'could not read Open_vSwitch other_config');
    }
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
    let agent: Agent;
    try {
      agent = new Agent(config, client, replica, { ...opts, metrics });
    } catch (err) {
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
    this.subs.add(this.client.connected$.subscribe((c) => {
      this.connected = c;
      metrics.ovsdbConnected.set(c ? 1 : 0);
    }));
    this.subs.add(this.client.reconnects$.subscribe(() => {
      metrics.ovsdbReconnects.inc();
      this.triggers$.next({ reason: 'ovsdb', full: true });
    }));
    this.bridgeUuid = (await ensureBridge(this.client, this.replica, config)).uuid;
    const native = loadNative();
    log.info({
      bridge: config.bridge, bridgeUuid: this.bridgeUuid, datapathType: config.datapathType,
      hostSeal: config.datapathType === 'netdev' ? `nftables ingress drop (table netdev ${guardTableName(config.bridge)}) + sysctls` : 'sysctls',
      nativeAddon: native.addon ? 'loaded' : `not used (${native.reason}); ethtool/sysctl processes instead`,
      plumbing: this.plumbing.path === 'netlink' ? 'in-process rtnetlink (no ip/nsenter processes)' : `ip/nsenter processes (${this.plumbing.reason})`,
      workloadTxChecksumOffload: disablesTxChecksum(config) ? 'turned off' : 'kept',
    }, 'bridge ready');
    if (config.datapathType === 'netdev' && !disablesTxChecksum(config)) await this.warnIfNoUserspaceTso();

    if (opts.http ?? true) {
      this.http = await startHttpServer({
        listen: config.metricsListen,
        metrics,
        logger: opts.logger,
        health: () => ({ ok: this.connected, checks: { process: true, ovsdb: this.connected } }),
        ready: () => this.isReady,
        status: () => this.status(),
      });
      log.info({ listen: `${this.http.address}:${this.http.port}` }, 'http endpoint listening');
    }

    // Sources. Namespace and manifest events update the reconciler's inputs and trigger a pass.
    let tenantsSeen = false;
    let firstTenants!: () => void;
    const tenantsIn = new Promise<void>((r) => (firstTenants = r));
    const tenants$ = watchManifests$(config.manifestDir, {
      logger: opts.logger,
      reload$: this.manifestReload$,
      strictModes: config.manifestStrictModes,
      // A changed manifest that would put a namespace that exists now into conflict is rejected (manifests.md).
      namespaces: () => namespacesWithWorkloads(reconciler.namespaces.values(), (ns) => reconciler.workloadOf(ns)),
      onRejected: (file, problems) => {
        metrics.manifestRejections.inc({ file });
        for (const p of problems) log.warn({ file: p.file, line: p.line, tenant: p.tenant }, `manifest rejected: ${p.message}`);
      },
    }).pipe(
      tap((set) => {
        reconciler.setTenants(set);
        metrics.manifestProblems.set(set.problems.length);
        log.info({ tenants: [...set.tenants.keys()], problems: set.problems.length }, 'tenants in force');
        // Never start from a manifest dir that exists but cannot be read: its tenants are
        // unknown, and a first full pass would unplug every workload. Wait, not ready.
        if (!tenantsSeen && set.unreadable) {
          log.error({ manifestDir: config.manifestDir }, 'manifest directory cannot be read: waiting for it before the first pass (not ready)');
        } else if (!tenantsSeen) {
          tenantsSeen = true;
          firstTenants();
        }
      }),
      map((): Trigger => ({ reason: 'tenants' })),
    );
    let firstScan!: () => void;
    const namespacesIn = new Promise<void>((r) => (firstScan = r));
    const namespaces$ = watchNamespaces$({
      dirs: config.namespaceDirs,
      logger: opts.logger,
      rescanIntervalMs: config.resyncIntervalMs,
      ...(config.hostNetns ? { hostNetns: config.hostNetns } : {}),
      onDirState: (dir, state, reason) => {
        if (state !== 'unreadable') this.dirErrors.delete(dir);
        else if (!this.dirErrors.has(dir)) this.dirErrors.set(dir, { reason: `namespace directory unreadable: ${reason ?? 'unknown'}`, sinceMs: Date.now() });
      },
      onRefusal: (path, refusal) => {
        const was = this.refusedFiles.get(path);
        if (!refusal) this.refusedFiles.delete(path);
        else {
          this.refusedFiles.set(path, { reason: `${refusal.reason}: ${refusal.message}`, sinceMs: was?.sinceMs ?? Date.now() });
          if (!was) metrics.namespaceRefusals.inc({ reason: refusal.reason });
        }
        metrics.namespacesRefused.set(this.refusedFiles.size);
      },
      onInitialScan: () => firstScan(),
      recheck$: this.workloads.recheck$,
      runtimeDirs: this.workloads.runtimeDirs(config.namespaceDirs),
    }).pipe(
      tap((ev) => {
        metrics.namespacesSeen.inc({ event: ev.type });
        reconciler.noteNamespace(ev);
      }),
      map((): Trigger => ({ reason: 'namespace' })),
    );
    // Only changes that matter to a pass, and not the agent's own writes (seen before their replies,
    // so already in the snapshot at the end of the pass that made them), trigger a pass.
    const ovsdb$ = this.replica.changes$.pipe(
      auditTime(10),
      filter((snap) => {
        const sig = ownedStateSignature(snap, config.bridge);
        if (sig === this.lastSignature) return false;
        this.lastSignature = sig;
        return true;
      }),
      map((): Trigger => ({ reason: 'ovsdb' })),
    );
    const resync$ = timer(config.resyncIntervalMs, config.resyncIntervalMs).pipe(map((): Trigger => ({ reason: 'resync', full: true })));
    const lost$ = flowLoss$({ ovsRundir: config.ovsRundir, bridge: config.bridge, logger: opts.logger }).pipe(
      tap(() => {
        metrics.flowReplays.inc();
        reconciler.invalidateFlows();
      }),
      map((): Trigger => ({ reason: 'flows-lost', full: true })),
    );
    // Someone else's change to our flows (ovs-ofctl del-flows by hand, another controller): seen by a
    // flow monitor and repaired at once by a full pass, instead of at the next periodic resync.
    let seen: { counts: Record<string, number>; first: FlowEvent | undefined } = { counts: {}, first: undefined };
    const foreign$ = selectFlowWatch$(config.flowDriver, {
      ovsRundir: config.ovsRundir, bridge: config.bridge, env: { ...opts.ovsEnv }, logger: opts.logger,
      onSpawn: () => metrics.processSpawns.inc({ program: 'ovs-ofctl' }),
      ...(config.hostNetns ? { hostNetns: config.hostNetns } : {}),
    }).pipe(
      map((ev) => ({ ev, change: ev.kind === 'LOST' ? 'lost' : reconciler.foreignFlowChange(ev) })),
      filter((x) => x.change !== undefined),
      tap(({ ev, change }) => {
        seen.counts[change!] = (seen.counts[change!] ?? 0) + 1;
        if (!seen.first && ev.kind !== 'LOST') seen.first = ev;
      }),
      // A burst of changes (del-flows on the whole bridge) becomes one pass and one log line.
      auditTime(FOREIGN_FLOW_BATCH_MS),
      tap(() => {
        const { counts, first } = seen;
        seen = { counts: {}, first: undefined };
        for (const [change, n] of Object.entries(counts)) if (change !== 'lost') metrics.flowForeignChanges.inc({ change }, n);
        if (first) log.warn({ changes: counts, table: first.table, match: first.match, cookie: `0x${first.cookie.toString(16)}` }, 'our flows were changed by someone else; repairing');
        else log.info('flow monitor restarted or paused: re-reading the flows');
      }),
      map((): Trigger => ({ reason: 'flows-changed', full: true })),
    );

    const traffic = new TenantTraffic();
    this.subs.add(this.replica.changes$.pipe(auditTime(TENANT_STATS_INTERVAL_MS)).subscribe((snap) => traffic.publish(metrics, snap, config.bridge)));

    // The pass loop: exactly one subscription, errors caught per pass.
    let markFirstPass!: () => void;
    const firstPass = new Promise<void>((r) => (markFirstPass = r));
    let started = false;
    const passes$ = merge(this.triggers$, tenants$, namespaces$, ovsdb$, resync$, lost$, foreign$, this.workloads.triggers$(reconciler)).pipe(
      filter(() => started && !this.stopped),
      runCoalesced(
        (batch) => {
          const p = this.runPass(batch);
          this.inflight = p.then(() => undefined, () => undefined);
          return p;
        },
        (err, batch) => {
          metrics.reconcileErrors.inc({ reason: 'pass' });
          log.error({ err: err instanceof Error ? err.message : String(err), triggers: [...new Set(batch.map((t) => t.reason))] }, 'reconcile pass failed; retrying');
          this.scheduleRetry(1000);
        },
      ),
      mergeMap(() => EMPTY),
    );
    this.subs.add(passes$.subscribe());

    // Start: first manifests, then one full pass (adoption + garbage collection) once every namespace
    // directory was looked at once (its namespaces are in `reconciler.namespaces` by then; refused files never are).
    // ...and the runtimes' first answer (a listing, or a failure), so a restart adopts containers' ports as they are.
    await Promise.all([tenantsIn, namespacesIn, this.workloads.firstAnswers()]);
    started = true;
    this.onFirstPass = markFirstPass;
    this.triggers$.next({ reason: 'start', full: true });
    await firstPass;
    this.isReady = true;
    metrics.ready.set(1);
    this.markReady();
    log.info({ namespaces: reconciler.namespaces.size, tenants: reconciler.tenants.tenants.size }, 'initial sync done: ready');
  }

  private onFirstPass: (() => void) | undefined;
  /** Namespace directories that cannot be read now (shown in /status; their namespaces stay as last seen). */
  private readonly dirErrors = new Map<string, { reason: string; sinceMs: number }>();
  /** Files in namespace directories refused (symlinks, the agent's or host namespace, aliases): shown in /status, never plugged. */
  private readonly refusedFiles = new Map<string, { reason: string; sinceMs: number }>();
  /** ownedStateSignature of the snapshot the last pass ended with (or the last trigger saw). */
  private lastSignature = '';

  private async runPass(triggers: readonly Trigger[]): Promise<void> {
    let batch = triggers;
    const log = this.opts.logger;
    const t0 = performance.now();
    if (!this.replica.snapshot().bridges.has(this.bridgeUuid)) {
      // Someone deleted our bridge: create it again; its flows are gone with it.
      this.bridgeUuid = (await ensureBridge(this.client, this.replica, this.config)).uuid;
      this.reconciler.invalidateFlows();
      log.warn({ bridge: this.config.bridge, bridgeUuid: this.bridgeUuid }, 'bridge was missing: re-created');
      // Its ports' veths are still in the kernel without rows: a full pass finds and replaces them.
      batch = [...batch, { reason: 'ovsdb', full: true }];
    }
    const s = await this.reconciler.pass(batch);
    this.lastSignature = ownedStateSignature(this.replica.snapshot(), this.config.bridge);
    if (s.deferred > 0) {
      // A backlog: the next chunk right after this pass. Ready (initial sync done) waits for the last chunk.
      this.triggers$.next({ reason: 'namespace' });
    } else {
      this.onFirstPass?.();
      this.onFirstPass = undefined;
    }
    const changed = s.plugged + s.removed + s.failed + s.deferred + s.markedReady + s.flowMods > 0;
    if (changed) {
      log.info({ bridge: this.config.bridge, ...s, durationMs: Math.round(performance.now() - t0), triggers: [...new Set(batch.map((t) => t.reason))] }, 'reconcile pass');
    }
    const next = this.reconciler.failures.nextRetryAt();
    if (next !== undefined) this.scheduleRetry(Math.max(10, next - Date.now()));
  }

  private scheduleRetry(inMs: number): void {
    if (this.stopped) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.triggers$.next({ reason: 'retry' });
    }, inMs);
    this.retryTimer.unref();
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
    this.triggers$.next({ reason: 'resync', full });
  }

  status(): StatusReport {
    return buildStatus({
      version,
      bridge: this.config.bridge,
      ready: this.isReady,
      ovsdbConnected: this.connected,
      reconciler: this.reconciler,
      snapshot: this.replica.snapshot(),
      dirErrors: this.dirErrors,
      refused: this.refusedFiles,
    });
  }

  /** Graceful stop: no new passes, the one in flight finishes; ports and flows stay in place. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.subs.unsubscribe();
    await this.inflight;
    await this.http?.close().catch(() => undefined);
    await this.replica.stop().catch(() => undefined);
    await this.client.close().catch(() => undefined);
    this.closeFlowDriver();
  }
}
