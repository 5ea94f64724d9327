import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Default metrics of prom-client that are gauges named *_total (sums of their per-type siblings). */
const NON_CONFORMING_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * Every metric nsvswitch exports, in one place (documented in docs/metrics.md).
 * Names follow Prometheus conventions: nsvswitch_ prefix, base units, _total.
 */
export class Metrics {
  readonly registry: Registry;

  readonly namespacesSeen: Counter<'event'>;
  readonly namespaces: Gauge<'state'>;
  readonly namespaceRefusals: Counter<'reason'>;
  readonly namespacesRefused: Gauge<string>;
  readonly ports: Gauge<'tenant' | 'state'>;
  readonly attachLatency: Histogram<string>;
  readonly reconcileErrors: Counter<'reason'>;
  readonly reconcileDuration: Histogram<string>;
  readonly reconcileStage: Histogram<'stage'>;
  readonly heapSettle: Histogram<string>;
  readonly ovsdbTransactionDuration: Histogram<'kind'>;
  readonly ovsdbTransactions: Counter<'kind' | 'result'>;
  readonly ovsdbReconnects: Counter<string>;
  readonly ovsdbConnected: Gauge<string>;
  readonly ovsdbAnomalies: Counter<'kind'>;
  readonly flows: Gauge<'tenant' | 'table'>;
  readonly flowSyncDuration: Histogram<string>;
  readonly flowMods: Counter<'op'>;
  readonly flowReplays: Counter<string>;
  readonly flowForeignChanges: Counter<'change'>;
  readonly manifestRejections: Counter<'file'>;
  readonly manifestProblems: Gauge<string>;
  readonly tenants: Gauge<string>;
  readonly tenantRxPackets: Counter<'tenant'>;
  readonly tenantTxPackets: Counter<'tenant'>;
  readonly tenantRxBytes: Counter<'tenant'>;
  readonly tenantTxBytes: Counter<'tenant'>;
  readonly processSpawns: Counter<'program'>;
  readonly nativeActive: Gauge<'part'>;
  readonly ready: Gauge<string>;
  readonly workloadPorts: Gauge<'runtime' | 'container' | 'container_id' | 'tenant' | 'port'>;
  readonly runtimeConnected: Gauge<'runtime'>;
  readonly runtimeWorkloads: Gauge<'runtime'>;
  readonly runtimeReconnects: Counter<'runtime'>;
  readonly gatewayPackets: Counter<'tenant' | 'direction'>;
  readonly gatewayBytes: Counter<'tenant' | 'direction'>;
  readonly gatewayDroppedPackets: Counter<'tenant' | 'direction'>;
  readonly gatewayDroppedBytes: Counter<'tenant' | 'direction'>;
  readonly ovnNbTransactions: Counter<'kind' | 'result'>;
  readonly ovnNbConnected: Gauge<string>;
  readonly ovnSbConnected: Gauge<string>;
  readonly ovnClaimRefusals: Counter<'why'>;
  readonly ovnLogicalPorts: Gauge<'state'>;
  /** Reads the gateways' nftables counters into the gateway metrics; called once per scrape (see setGatewayCollector). */
  private gatewayCollector: (() => Promise<void>) | undefined;
  private gatewayCollecting: Promise<void> | undefined;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registry = new Registry();
    this.registry = registry;
    const r = [registry];
    if (opts.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: registry, prefix: 'nsvswitch_' });
      // prom-client's *_total gauges break the naming rule `promtool check metrics` enforces; the same numbers are in the per-type gauges without _total.
      for (const name of NON_CONFORMING_DEFAULT_METRICS) registry.removeSingleMetric(`nsvswitch_${name}`);
    }

    this.namespacesSeen = new Counter({ name: 'nsvswitch_namespace_events_total', help: 'Namespace events seen, by event (added, removed).', labelNames: ['event'], registers: r });
    this.namespaces = new Gauge({ name: 'nsvswitch_namespaces', help: 'Namespaces currently known, by state (matched, unmatched, conflict).', labelNames: ['state'], registers: r });
    this.namespaceRefusals = new Counter({ name: 'nsvswitch_namespace_refusals_total', help: 'Files in namespace directories refused (never plugged), by reason (symlink, agent-namespace, host-namespace, alias); once per file.', labelNames: ['reason'], registers: r });
    this.namespacesRefused = new Gauge({ name: 'nsvswitch_namespaces_refused', help: 'Files in namespace directories currently refused (listed in /status).', registers: r });
    this.ports = new Gauge({ name: 'nsvswitch_ports', help: 'Ports owned by nsvswitch, by tenant and state (ready, pending, error).', labelNames: ['tenant', 'state'], registers: r });
    this.attachLatency = new Histogram({ name: 'nsvswitch_attach_latency_seconds', help: 'Time from a namespace first seen to its port ready (flows in).', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: r });
    this.reconcileErrors = new Counter({ name: 'nsvswitch_reconcile_errors_total', help: 'Per-namespace reconcile failures, by reason.', labelNames: ['reason'], registers: r });
    this.reconcileDuration = new Histogram({ name: 'nsvswitch_reconcile_duration_seconds', help: 'Duration of one reconcile pass (desired vs actual, effects applied).', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30], registers: r });
    this.reconcileStage = new Histogram({ name: 'nsvswitch_reconcile_stage_seconds', help: 'Wall time of one stage of a reconcile pass (plan, remove, gateways, plug, record, ofports, early-flows, flows, ready, seal), observed when the stage ran.', labelNames: ['stage'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5], registers: r });
    this.heapSettle = new Histogram({ name: 'nsvswitch_heap_settle_seconds', help: 'Garbage collection (two full collections) after a burst of plugged or removed ports or the first full pass, once the agent was quiet: returns the burst\'s garbage and half-empty heap pages to the system.', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], registers: r });
    this.ovsdbTransactionDuration = new Histogram({ name: 'nsvswitch_ovsdb_transaction_duration_seconds', help: 'OVSDB transaction round-trip time, by kind (read, write).', labelNames: ['kind'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5], registers: r });
    this.ovsdbTransactions = new Counter({ name: 'nsvswitch_ovsdb_transactions_total', help: 'OVSDB transactions sent, by kind (read, write) and result (ok, error).', labelNames: ['kind', 'result'], registers: r });
    this.ovsdbReconnects = new Counter({ name: 'nsvswitch_ovsdb_reconnects_total', help: 'Reconnections to ovsdb-server.', registers: r });
    this.ovsdbConnected = new Gauge({ name: 'nsvswitch_ovsdb_connected', help: '1 while connected to ovsdb-server.', registers: r });
    this.ovsdbAnomalies = new Counter({ name: 'nsvswitch_ovsdb_anomalies_total', help: 'Data from OVSDB that a correct server never sends, handled without a crash or a reconnect loop, by kind (bad-message, bad-row, bad-txn-id, unknown-reply-id, bad-statistic).', labelNames: ['kind'], registers: r });
    this.flows = new Gauge({ name: 'nsvswitch_flows', help: 'OpenFlow flows installed by nsvswitch, by tenant and table.', labelNames: ['tenant', 'table'], registers: r });
    this.flowSyncDuration = new Histogram({ name: 'nsvswitch_flow_sync_duration_seconds', help: 'Duration of one flow sync (dump, diff, bundle).', buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: r });
    this.flowMods = new Counter({ name: 'nsvswitch_flow_mods_total', help: 'Flow modifications sent to ovs-vswitchd, by op (add, delete).', labelNames: ['op'], registers: r });
    this.flowReplays = new Counter({ name: 'nsvswitch_flow_replays_total', help: 'Full flow replays after ovs-vswitchd lost its flows (restart).', registers: r });
    this.flowForeignChanges = new Counter({ name: 'nsvswitch_flow_foreign_changes_total', help: 'Changes to our flows made by someone else (seen by the flow monitor) and repaired, by change (deleted, modified, added).', labelNames: ['change'], registers: r });
    this.manifestRejections = new Counter({ name: 'nsvswitch_manifest_rejections_total', help: 'Manifest files rejected by validation, by file.', labelNames: ['file'], registers: r });
    this.manifestProblems = new Gauge({ name: 'nsvswitch_manifest_problems', help: 'Manifest problems currently in force.', registers: r });
    this.tenants = new Gauge({ name: 'nsvswitch_tenants', help: 'Tenants in force.', registers: r });
    this.tenantRxPackets = new Counter({ name: 'nsvswitch_tenant_receive_packets_total', help: 'Packets received by the switch from a tenant\'s ports (OVS interface statistics, rx).', labelNames: ['tenant'], registers: r });
    this.tenantTxPackets = new Counter({ name: 'nsvswitch_tenant_transmit_packets_total', help: 'Packets sent by the switch to a tenant\'s ports (OVS interface statistics, tx).', labelNames: ['tenant'], registers: r });
    this.tenantRxBytes = new Counter({ name: 'nsvswitch_tenant_receive_bytes_total', help: 'Bytes received by the switch from a tenant\'s ports.', labelNames: ['tenant'], registers: r });
    this.tenantTxBytes = new Counter({ name: 'nsvswitch_tenant_transmit_bytes_total', help: 'Bytes sent by the switch to a tenant\'s ports.', labelNames: ['tenant'], registers: r });
    this.processSpawns = new Counter({ name: 'nsvswitch_process_spawns_total', help: 'Child processes spawned, by program (ip, ovs-ofctl).', labelNames: ['program'], registers: r });
    this.nativeActive = new Gauge({ name: 'nsvswitch_native_active', help: '1 when a part runs in-process through the native addon, 0 when it falls back to processes, by part (netlink: veths, addresses, routes; openflow: flows; nftables: the host seal chains and the gateway counters).', labelNames: ['part'], registers: r });
    this.ready = new Gauge({ name: 'nsvswitch_ready', help: '1 once the initial sync is done.', registers: r });
    this.workloadPorts = new Gauge({ name: 'nsvswitch_workload_port_info', help: 'One series per port of a runtime workload (container): runtime, container name and id (12 hex), tenant and OVS port; value 1 once ready, 0 while pending.', labelNames: ['runtime', 'container', 'container_id', 'tenant', 'port'], registers: r });
    this.runtimeConnected = new Gauge({ name: 'nsvswitch_runtime_connected', help: '1 while the container runtime\'s API answers, by runtime (docker).', labelNames: ['runtime'], registers: r });
    this.runtimeWorkloads = new Gauge({ name: 'nsvswitch_runtime_workloads', help: 'Workloads (containers) the runtime lists, by runtime.', labelNames: ['runtime'], registers: r });
    // Read when scraped (one nft process for all four, shared by concurrent scrapes), never on a timer.
    const collectGateways = () => this.collectGateways();
    this.gatewayPackets = new Counter({ name: 'nsvswitch_gateway_packets_total', help: 'Packets a tenant gateway routed (nftables counters), by tenant and direction (egress: out of the tenant; ingress: into it).', labelNames: ['tenant', 'direction'], registers: r, collect: collectGateways });
    this.gatewayBytes = new Counter({ name: 'nsvswitch_gateway_bytes_total', help: 'Bytes a tenant gateway routed, by tenant and direction (egress, ingress).', labelNames: ['tenant', 'direction'], registers: r, collect: collectGateways });
    this.gatewayDroppedPackets = new Counter({ name: 'nsvswitch_gateway_dropped_packets_total', help: 'Packets a tenant gateway dropped, by tenant and direction (egress: from the tenant; ingress: towards it; host: to the host itself).', labelNames: ['tenant', 'direction'], registers: r, collect: collectGateways });
    this.gatewayDroppedBytes = new Counter({ name: 'nsvswitch_gateway_dropped_bytes_total', help: 'Bytes a tenant gateway dropped, by tenant and direction (egress, ingress, host).', labelNames: ['tenant', 'direction'], registers: r, collect: collectGateways });
    this.ovnNbTransactions = new Counter({ name: 'nsvswitch_ovn_nb_transactions_total', help: 'Transactions sent to the OVN northbound database (backend ovn), by kind (read, write) and result (ok, error). An agent restarted with nothing changed sends no write.', labelNames: ['kind', 'result'], registers: r });
    this.ovnNbConnected = new Gauge({ name: 'nsvswitch_ovn_nb_connected', help: '1 while connected to a usable member (the Raft leader) of the OVN northbound database (backend ovn).', registers: r });
    this.ovnSbConnected = new Gauge({ name: 'nsvswitch_ovn_sb_connected', help: '1 while connected to the OVN southbound database (backend ovn; read only, for status).', registers: r });
    this.ovnClaimRefusals = new Counter({ name: 'nsvswitch_ovn_claim_refusals_total', help: 'Logical switch ports whose claim the northbound database refused, by why (address-taken, mac-taken: another host won a race; name-taken; switch-gone). The port retries with another address.', labelNames: ['why'], registers: r });
    this.ovnLogicalPorts = new Gauge({ name: 'nsvswitch_ovn_logical_ports', help: 'This chassis\' logical switch ports, by state (installed: ovn-controller set ovn-installed on the interface; pending).', labelNames: ['state'], registers: r });
    this.runtimeReconnects = new Counter({ name: 'nsvswitch_runtime_reconnects_total', help: 'Connections to a container runtime\'s API lost and re-established, by runtime.', labelNames: ['runtime'], registers: r });
  }

  /** Who fills the gateway metrics when they are scraped (the agent, from the gateway table's counters). */
  setGatewayCollector(collect: (() => Promise<void>) | undefined): void {
    this.gatewayCollector = collect;
  }

  private collectGateways(): Promise<void> {
    const collect = this.gatewayCollector;
    if (!collect) return Promise.resolve();
    this.gatewayCollecting ??= collect().finally(() => {
      this.gatewayCollecting = undefined;
    });
    return this.gatewayCollecting;
  }
}
