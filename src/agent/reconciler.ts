import type { AgentConfig } from '../config/types.js';
import { computeDesired, type DesiredDeps, type HeldAddress } from '../core/desired.js';
import type { DesiredPort, DesiredState, NamespaceVerdict, OwnedPort } from '../core/model.js';
import { ownedPorts } from '../core/owned-ports.js';
import { plan, portMatches } from '../core/plan.js';
import { HOST_IF_PREFIX } from '../core/names.js';
import { freeOfports } from '../core/ofports.js';
import { earlyFlowPorts, ownedFlowPort } from '../core/flow-ports.js';
import { pipelineFlows, hasUsableOfport, type FlowPort } from '../core/pipeline/index.js';
import type { NamespaceInfo } from '../netns/types.js';
import type { TenantSet } from '../manifests/types.js';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import { ExpectedFlows, diffFlows, foreignChange, uniqueFlows, type Flow, type FlowDriver, type FlowEvent, type FlowSync } from '../openflow/index.js';
import { OWNER_COOKIE } from '../core/pipeline/cookie.js';
import { FlowMetrics } from './flow-metrics.js';
import { stageClock } from './stage-clock.js';
import type { VswitchSnapshot } from '../ovsdb/index.js';
import { settled } from '../reconcile/settled.js';
import type { Plumbing, PlugSpec } from '../plumbing/types.js';
import { PlugError } from '../plumbing/index.js';
import type { PortStore } from './port-store.js';
import { FailureBook } from './failures.js';
import { desiredGateways, type DesiredGateway } from '../core/gateway/desired-gateways.js';
import { gatewayMatches, ownedGateways, planGateways, subnetOfAddress, type OwnedGateway } from '../core/gateway/owned-gateways.js';
import type { GatewayHost, GatewayHostSpec } from '../plumbing/gateway/gateway-host.js';
import type { GatewayFlowPort } from '../core/pipeline/index.js';
import { workloadIdentity } from '../workloads/identity.js';
import type { WorkloadInfo, WorkloadJoin } from '../workloads/types.js';
import { workloadJoin, type PassInput, type Trigger } from './pass-input.js';
import type { OvnSteps } from './ovn/ovn-steps.js';
import { withoutIpv6 } from '../core/desired-ipv6.js';

export type { PassInput, Trigger } from './pass-input.js';

export interface PassSummary {
  readonly plugged: number;
  readonly removed: number;
  readonly failed: number;
  /** Namespaces left for the next pass because this one plugged MAX_PLUGS_PER_PASS already. */
  readonly deferred: number;
  readonly markedReady: number;
  readonly flowMods: number;
  readonly ovsdbWrites: number;
  /** Backend ovn: transactions written to the northbound database (switches, claims, deletions). */
  readonly nbWrites: number;
}

export interface ReconcilerDeps {
  readonly config: AgentConfig;
  readonly bridgeUuid: () => string;
  /** OVSDB: the replica's view and the port transactions (OvsPorts, or a fake in unit tests). */
  readonly ovs: PortStore;
  readonly plumbing: Plumbing;
  readonly flowDriver: FlowDriver;
  readonly flowSync: FlowSync;
  readonly core: DesiredDeps;
  /** The host side of tenant gateways (nftables, addresses); unset = gateways get ports and flows only. */
  readonly gateways?: GatewayHost;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now?: () => number;
  /** Namespaces plugged in one pass at most (default MAX_PLUGS_PER_PASS). */
  readonly maxPlugsPerPass?: number;
  /** Told when plumbing found a namespace file gone (routine churn): the namespace source may look again at once. */
  readonly onNamespaceGone?: (path: string) => void;
  /** Namespace paths as the runtimes report them (symlinked directories resolved); default: as is. */
  readonly normalisePath?: (path: string) => string;
  /** Backend ovn: the logical side's steps (northbound claims and releases); no OpenFlow at all then (ovn-controller's). */
  readonly ovn?: OvnSteps;
}

/**
 * Namespaces plugged in one pass at most; the rest wait for the next pass,
 * which follows at once. Bursts that arrive over time are cut into passes by
 * their arrival anyway; this bounds the pass that meets a backlog.
 */
export const MAX_PLUGS_PER_PASS = 256;

/** Time ovs-vswitchd gets to report the ofports of new ports after applying them. */
export const OFPORT_WAIT_MS = 10_000;

/**
 * One reconcile pass over every namespace: desired vs actual, then the
 * effects in a fixed order (remove, plug, record, flows, ready marker).
 * Passes are run one at a time by the agent; per-namespace failures are
 * recorded with backoff and never fail the pass for others.
 */
export class Reconciler {
  readonly failures = new FailureBook();
  lastDesired: DesiredState = { ports: new Map(), verdicts: new Map() };
  /** The tenant gateways wanted by the last pass, and those in place after it (for /status). */
  lastGateways: { readonly desired: readonly DesiredGateway[]; readonly owned: readonly OwnedGateway[] } = { desired: [], owned: [] };
  /** A gateway's host interface was missing at the last host sync: sync again on the next pass. */
  private gatewayHostPending = false;
  /** Flows we know the switch holds (after a successful sync); undefined = dump first. */
  private installedFlows: readonly Flow[] | undefined;
  /** The flows we want on the switch (the last set sent, or being sent) and the changes just sent: a monitor's updates are judged against them. */
  private readonly expected = new ExpectedFlows(OWNER_COOKIE);
  /**
   * The pipeline's inputs (ports and gateways, sorted by ofport) of `expectedFlows`, set once they are on the switch:
   * a sync from the same inputs has nothing to send (the pipeline is a pure function of them), so it is skipped.
   */
  private flowInputs: FlowInputs | undefined;
  /** Syncs skipped because their inputs were those already installed (for tests). */
  flowSyncsSkipped = 0;
  /**
   * The snapshot the last pass ended with, if that pass left it settled: every desired port recorded as desired, ready
   * and flowed, nothing else of ours on the bridge, its gateways in place. A pass on the same input would then do
   * nothing, so the pass loop lets the OVSDB changes seen during the pass (its own writes) go without one.
   * Undefined otherwise (and after a failed pass).
   */
  settledOn: VswitchSnapshot | undefined;
  private readonly now: () => number;
  /** Whose namespace a file is, by the runtimes' metadata of the pass in flight (or the last one). */
  private workloadOf: (ns: { readonly path: string }) => WorkloadJoin = () => ({ kind: 'none' });
  /**
   * The address and MAC each runtime workload last had, by runtime/id (a pod: its uid): a restarted container or pod (a new
   * sandbox, so a new namespace key) gets them back, and its neighbours' ARP caches stay right.
   * Kept while the runtime lists the workload (stopped included), dropped once it is removed.
   */
  private readonly workloadAddresses = new Map<string, HeldAddress>();
  private readonly log: Logger;
  private readonly flowMetrics: FlowMetrics;

  constructor(private readonly deps: ReconcilerDeps) {
    this.now = deps.now ?? Date.now;
    this.flowMetrics = new FlowMetrics(deps.metrics);
    this.log = deps.logger.child({ bridge: deps.config.bridge });
  }

  /** The switch answers IPv6 neighbour solicitations where the datapath can rewrite them (userspace only). */
  private pipelineOptions(): { ndResponder: boolean } {
    return { ndResponder: this.deps.config.datapathType !== 'system' };
  }

  /** The previous pass's addresses by namespace key, plus those of known workloads whose namespace is new (a restart). */
  private rememberedWithWorkloads(namespaces: ReadonlyMap<string, NamespaceInfo>): Map<string, HeldAddress> {
    const out = remembered(this.lastDesired);
    if (this.workloadAddresses.size === 0) return out;
    for (const [key, ns] of namespaces) {
      if (out.has(key)) continue;
      const j = this.workloadOf(ns);
      const held = j.kind === 'known' ? this.workloadAddresses.get(workloadIdentity(j.workload)) : undefined;
      if (held) out.set(key, held);
    }
    return out;
  }

  private noteWorkloadAddresses(desired: DesiredState, runtimes: PassInput['runtimes']): void {
    if (runtimes.length === 0) return;
    for (const d of desired.ports.values()) {
      if (d.workload) this.workloadAddresses.set(workloadIdentity(d.workload), { tenant: d.tenant, cidr: `${d.ip}/${d.prefixLen}`, mac: d.mac, ...(d.ipv6 ? { cidr6: `${d.ipv6.ip}/${d.ipv6.prefixLen}` } : {}) });
    }
    const listed = new Set<string>();
    for (const v of runtimes) for (const w of v.state?.workloads.values() ?? []) listed.add(workloadIdentity(w));
    for (const k of this.workloadAddresses.keys()) if (!listed.has(k)) this.workloadAddresses.delete(k);
  }

  /** Log fields naming the workload of a namespace path (runtime, container name and id), if known. */
  private workloadFields(path: string, w?: WorkloadInfo): Record<string, string> {
    const known = w ?? (() => {
      const j = this.workloadOf({ path });
      return j.kind === 'known' ? j.workload : undefined;
    })();
    return known ? { runtime: known.runtime, container: known.name, containerId: known.id.slice(0, 12) } : {};
  }

  /** Forget the switch's flow state: the next pass dumps and replays (after ovs-vswitchd restarts). */
  invalidateFlows(): void {
    this.installedFlows = undefined;
  }

  /**
   * Whether a flow-table update is someone else's change to our flows
   * (deleted, rewritten, or posing with our cookie): judged against the
   * flows we want, which are set before each of our own changes is sent,
   * and the changes sent in the seconds before (a monitor reports late).
   * Undefined until the first sync (the first pass dumps anyway).
   */
  foreignFlowChange(ev: FlowEvent): ReturnType<typeof foreignChange> {
    return this.expected.judge(ev);
  }

  /** Forget the flow changes recently sent (before a heap collection). */
  forgetSentFlows(): void {
    this.expected.forgetSent();
  }

  /** One pass over `input` (taken by the pass loop; a failed pass's stale keys are the loop's to give back). */
  async pass(triggers: readonly Trigger[], input: PassInput): Promise<PassSummary> {
    const { ovs, plumbing, config, metrics } = this.deps;
    const full = triggers.some((t) => t.full);
    if (full) this.installedFlows = undefined;
    const stop = metrics.reconcileDuration.startTimer();
    const lap = stageClock(metrics.reconcileStage);
    const summary = { plugged: 0, removed: 0, failed: 0, deferred: 0, markedReady: 0, flowMods: 0, ovsdbWrites: 0, nbWrites: 0 };
    this.settledOn = undefined;
    this.workloadOf = workloadJoin(input, this.deps.normalisePath);
    try {
      const bridgeUuid = this.deps.bridgeUuid();
      const read = (): { readonly owned: readonly OwnedPort[]; readonly broken: readonly { portUuid: string; name: string }[] } => ownedPorts(ovs.snapshot(), config.bridge);
      let { owned, broken } = read();
      const hostLinks = full ? withoutForeign(await plumbing.listHostLinks(HOST_IF_PREFIX), ovs.snapshot(), owned, broken) : undefined;
      const baseCore = input.runtimes.length > 0 ? { ...this.deps.core, workloadOf: this.workloadOf } : this.deps.core;
      // ovn: addresses and MACs other hosts hold are never allocated here; this chassis' logical ports are its claims.
      const ovnIn = this.deps.ovn?.prepare(owned, input.tenants.tenants, baseCore);
      const core = ovnIn?.core ?? baseCore;
      const computed = computeDesired(input.tenants.tenants, input.namespaces.values(), ovnIn?.owned ?? owned, core, withClaims(this.rememberedWithWorkloads(input.namespaces), ovnIn?.remembered));
      // ovn: IPv4-only for now (a tenant's subnet6 is not applied; docs/architecture.md).
      const desired = this.deps.ovn ? this.deps.ovn.bind(withoutIpv6(computed)) : computed;
      this.lastDesired = desired;
      this.noteWorkloadAddresses(desired, input.runtimes);
      const p = plan(desired, owned, hostLinks, input.stale);
      const gwDesired = this.deps.ovn ? this.deps.ovn.noGateways(input.tenants.tenants) : desiredGateways(input.tenants.tenants, config.bridge);
      const gp = planGateways(gwDesired, ownedGateways(ovs.snapshot(), config.bridge));
      const now = this.now();
      this.failures.retain(new Set(input.namespaces.keys()));
      for (const [key, v] of desired.verdicts) this.noteVerdict(key, v, now, input.namespaces.get(key)?.path);
      lap('plan');

      // 1. Remove: rows first (one transaction), then their links and orphans (one ip batch).
      const removeRows = [...p.remove, ...broken];
      if (removeRows.length + gp.remove.length > 0) {
        // A port replugged under the same name (new subnet, MTU, tenant): ovs-vswitchd must drop
        // the old interface before the link is re-created, or it keeps a handle on the dead one.
        const replugNames = new Set([...p.plug.map((d) => d.hostIf), ...gp.add.map((g) => g.name)]);
        const sameName = [...removeRows, ...gp.remove].some((r) => replugNames.has(r.name));
        await ovs.removePorts(bridgeUuid, [...removeRows, ...gp.remove], { waitApplied: sameName });
        summary.ovsdbWrites++;
        summary.removed = removeRows.length + gp.remove.length;
        for (const g of gp.remove) this.log.info({ port: g.name, tenant: g.tenant, ip: g.cidr }, 'tenant gateway removed');
        for (const r of p.remove) this.log.info({ port: r.name, namespace: r.nsPath, tenant: r.tenant, ip: r.cidr, ...this.workloadFields(r.nsPath) }, 'port removed');
        for (const r of broken) this.log.warn({ port: r.name, portUuid: r.portUuid }, 'owned port with an unreadable record removed');
      }
      const links = [...new Set([...removeRows.map((r) => r.name), ...p.orphanLinks])];
      if (links.length > 0) {
        await plumbing.unplug(links);
        for (const l of p.orphanLinks) this.log.warn({ port: l }, 'orphan veth (no port record) deleted');
      }
      if (removeRows.length + gp.remove.length + links.length > 0) lap('remove');
      // 1a. ovn: then this chassis' logical ports that no desired port matches (one northbound transaction).
      if (this.deps.ovn && (await this.deps.ovn.release(desired)) > 0) {
        summary.nbWrites++;
        lap('ovn-release');
      }

      // 1b. Tenant gateways: their ports (OVS internal ports), then the host side (nftables first).
      if (gp.add.length > 0) {
        await ovs.addGateways(bridgeUuid, gp.add, freeOfports(ovs.snapshot().interfaces.values(), gp.add.length));
        summary.ovsdbWrites++;
        await this.waitForOfports(gp.add.map((g) => g.name));
        for (const g of gp.add) this.log.info({ port: g.name, tenant: g.tenant, ip: `${g.ip}/${g.prefixLen}`, mac: g.mac, snat: g.snat }, 'tenant gateway added');
      }
      const gwChanged = gp.add.length + gp.remove.length > 0;
      const gwHost = this.deps.gateways !== undefined && (full || gwChanged || this.gatewayHostPending || triggers.some((t) => t.reason === 'tenants'));
      if (gwHost) await this.syncGatewayHost(gwDesired, full, gp.remove.map((g) => g.cidr), read().owned.map((o) => o.name));
      if (gp.add.length > 0 || gwHost) lap('gateways');

      // 2. Plug what is missing, except namespaces waiting out a backoff.
      // At most MAX_PLUGS_PER_PASS, in first-seen order: a backlog (a restart facing hundreds of new
      // namespaces) is recorded, flowed and marked ready chunk by chunk, not all at the very end.
      const eligible = p.plug.filter((d) => !this.failures.waiting(d.key, now) || triggers.some((t) => t.reason === 'tenants'));
      const chunk = eligible.slice(0, this.deps.maxPlugsPerPass ?? MAX_PLUGS_PER_PASS);
      summary.deferred = eligible.length - chunk.length;
      // ovn: claim the logical ports before any namespace is configured (no namespace ever holds an address another
      // host claimed); a claim lost to another host is retried soon with another address.
      const claims = this.deps.ovn ? await this.deps.ovn.claim(chunk, p.keep.flatMap((o) => desired.ports.get(o.key) ?? []), desired, this.failures, now) : undefined;
      const toPlug = claims?.plug ?? chunk;
      summary.failed += claims?.refused ?? 0;
      summary.nbWrites += claims?.writes ?? 0;
      if (claims) lap('ovn-claim');
      const plugged: DesiredPort[] = [];
      if (toPlug.length > 0) {
        const results = await plumbing.plug(toPlug.map(toSpec));
        for (const [i, r] of results.entries()) {
          const d = toPlug[i]!;
          if (r.ok) {
            plugged.push(d);
          } else {
            summary.failed++;
            const reason = r.error instanceof PlugError ? r.error.kind : 'plumbing';
            const f = this.failures.record(d.key, reason, r.error.message, now);
            const fields = { namespace: d.ns.path, tenant: d.tenant, port: d.hostIf, ...this.workloadFields(d.ns.path, d.workload), attempts: f.attempts, retryInMs: f.nextAtMs - now, err: r.error.message };
            if (reason === 'namespace-gone') {
              // Routine churn (a container stopped between its event and the plug): not an error, no stack.
              this.log.info(fields, 'namespace went away before it was plugged');
              this.deps.onNamespaceGone?.(d.ns.path);
            } else {
              metrics.reconcileErrors.inc({ reason });
              this.log.warn(fields, 'plug failed');
            }
          }
        }
        lap('plug');
      }
      // 3. Record them (one transaction; wait until ovs-vswitchd applied it) and, at the
      // same time, install their flows under the OpenFlow numbers we ask ovs-vswitchd for.
      if (plugged.length > 0) {
        const requests = freeOfports(ovs.snapshot().interfaces.values(), plugged.length);
        const earlyFlows = this.syncFlows(earlyFlowPorts(p.keep, plugged, requests), this.gatewayFlowPorts(gwDesired)).then((n) => {
          summary.flowMods += n;
        });
        try {
          await ovs.addPorts(bridgeUuid, plugged, requests);
          lap('record');
          summary.ovsdbWrites++;
          summary.plugged = plugged.length;
          for (const d of plugged) {
            // macCandidate: the namespace's own derived MAC was in use on the bridge, so it got a later candidate.
            const candidate = d.macCandidate !== undefined ? { macCandidate: d.macCandidate } : {};
            this.log.info({ namespace: d.ns.path, tenant: d.tenant, port: d.hostIf, ...(d.ip !== undefined ? { ip: `${d.ip}/${d.prefixLen}` } : d.ipv6 ? { ip6: `${d.ipv6.ip}/${d.ipv6.prefixLen}` } : {}), mac: d.mac, ifName: d.ifName, ...this.workloadFields(d.ns.path, d.workload), ...candidate }, 'port plugged');
          }
        } catch (err) {
          // The veths exist without rows: delete them so nothing leaks; the next pass retries
          // (and its flow diff drops the flows installed for them).
          await earlyFlows.catch(() => undefined);
          await plumbing.unplug(plugged.map((d) => d.hostIf)).catch(() => undefined);
          throw err;
        }
        await this.waitForOfports(plugged.map((d) => d.hostIf));
        lap('ofports');
        await earlyFlows;
        lap('early-flows');
        ({ owned, broken } = read());
      }

      // 4. Flows for every port with an ofport. After an early install whose numbers ovs-vswitchd granted, the inputs are
      // those just installed: nothing to compute or send. Any difference (another ofport) is a full compute and diff.
      summary.flowMods += await this.syncFlows(owned.filter((o) => desired.ports.has(o.key)).map(ownedFlowPort).filter(hasUsableOfport), this.gatewayFlowPorts(gwDesired));
      lap('flows');

      // 5. Ready marker for ports whose flows are now in.
      // ovn: ready once ovn-controller has installed the port (external_ids:ovn-installed on the interface).
      const ready = owned.filter((o) => !o.installed && o.ofport !== undefined && desired.ports.has(o.key) && (!this.deps.ovn || o.ovnInstalled === true));
      if (ready.length > 0) {
        await ovs.markInstalled(ready.map((o) => o.ifaceUuid));
        summary.ovsdbWrites++;
        lap('ready');
        summary.markedReady = ready.length;
        const t = this.now();
        for (const o of ready) {
          this.failures.clear(o.key);
          const ns = input.namespaces.get(o.key);
          if (ns) metrics.attachLatency.observe(Math.max(0, (t - ns.firstSeenMs) / 1000));
          this.log.info({ namespace: o.nsPath, tenant: o.tenant, port: o.name, ofport: o.ofport, ip: o.cidr, ...this.workloadFields(o.nsPath) }, 'port ready');
        }
      }
      // 6. Full passes re-assert the host seal of every port we own (adopted ports, an nft flush, a reset sysctl).
      if (hostLinks) {
        const pluggedNow = new Set(plugged.map((d) => d.hostIf));
        await this.guardHostEnds(read().owned.map((o) => o.name).filter((n) => hostLinks.has(n) || pluggedNow.has(n)));
        lap('seal');
      }
      this.updateGauges(desired, read().owned, input.tenants);
      this.deps.ovn?.gauge(read().owned);
      this.lastGateways = { desired: gwDesired, owned: ownedGateways(ovs.snapshot(), config.bridge) };
      if (summary.deferred === 0 && this.isSettled(desired, gwDesired, this.now())) this.settledOn = ovs.snapshot();
      return summary;
    } finally {
      stop();
    }
  }

  /**
   * Whether the replica now shows what `desired` asks for, so that a pass on the same input would change nothing:
   * every owned port desired and matching it, ready, with its ofport, once; every desired port owned (or waiting out
   * a backoff: the retry timer brings it); our bridge there, no unreadable rows; the gateways in place and their host side done; the
   * flows' inputs those installed. Anyone else's change to our rows breaks one of these. The ovn backend never
   * counts as settled (ovn-controller's writes are what its passes wait for).
   */
  private isSettled(desired: DesiredState, gwDesired: readonly DesiredGateway[], now: number): boolean {
    if (this.deps.ovn || this.gatewayHostPending || this.installedFlows === undefined || this.flowInputs === undefined) return false;
    const snap = this.deps.ovs.snapshot();
    // Our bridge deleted under the pass: the next pass re-creates it (PassLoop: heal).
    if (!snap.bridges.has(this.deps.bridgeUuid())) return false;
    const { owned, broken } = ownedPorts(snap, this.deps.config.bridge);
    if (broken.length > 0) return false;
    const seen = new Set<string>();
    for (const o of owned) {
      const d = desired.ports.get(o.key);
      if (!d || seen.has(o.key) || !o.installed || o.ofport === undefined || !portMatches(o, d)) return false;
      seen.add(o.key);
    }
    for (const key of desired.ports.keys()) if (!seen.has(key) && !this.failures.waiting(key, now)) return false;
    const gp = planGateways(gwDesired, ownedGateways(snap, this.deps.config.bridge));
    if (gp.add.length + gp.remove.length > 0) return false;
    const inputs = flowInputs(owned.map(ownedFlowPort), this.gatewayFlowPorts(gwDesired));
    return inputs !== undefined && sameFlowInputs(inputs, this.flowInputs);
  }

  /** Gateway ports in place and as desired, as the pipeline sees them (ports without an ofport yet are left out). */
  private gatewayFlowPorts(desired: readonly DesiredGateway[]): GatewayFlowPort[] {
    return ownedGateways(this.deps.ovs.snapshot(), this.deps.config.bridge).flatMap((o) => {
      const d = desired.find((g) => g.tenant === o.tenant);
      if (!d || !gatewayMatches(o, d) || o.ofport === undefined) return [];
      return [{ portName: o.name, ofport: o.ofport, mac: o.mac, ip: d.ip, tenantId: o.tenantId, tenant: o.tenant }];
    }).filter(hasUsableOfport);
  }

  /**
   * The host side of the gateways: table, forwarding, addresses. Conntrack
   * entries of subnets no gateway has any more are flushed afterwards.
   * Turning forwarding on changes every interface's forwarding sysctl, so the
   * host ends' seal is re-asserted right away.
   */
  private async syncGatewayHost(gws: readonly DesiredGateway[], verify: boolean, removedCidrs: readonly string[], workloadPorts: readonly string[]): Promise<void> {
    const host = this.deps.gateways!;
    const specs: GatewayHostSpec[] = gws.map((g) => ({
      tenantId: g.tenantId, ifName: g.name, ip: g.ip, prefixLen: g.prefixLen, subnet: g.subnet, snat: g.snat,
      peers: g.peers.map((p) => ({ ifName: p.name, subnet: p.subnet })), hostServices: g.hostServices,
    }));
    const r = await host.sync(specs, verify);
    this.gatewayHostPending = r.missing.length > 0;
    if (r.changed.length > 0) this.log.info({ changed: r.changed, gateways: gws.map((g) => g.name) }, 'tenant gateways: host side updated');
    if (r.missing.length > 0) this.log.warn({ gateways: r.missing }, 'tenant gateway interfaces not created by ovs-vswitchd yet; the next pass retries');
    if (r.forwardingTurnedOn) await this.guardHostEnds(workloadPorts);
    const gone = [...new Set(removedCidrs.map(subnetOfAddress))].filter((s) => s !== undefined && !gws.some((g) => g.subnet === s)) as string[];
    if (gone.length > 0) await host.forget(gone);
  }

  private async guardHostEnds(names: readonly string[]): Promise<void> {
    try {
      const { added, removed } = await this.deps.plumbing.guardHostEnds(names);
      if (added + removed > 0) this.log.warn({ added, removed, ports: names.length }, 'host seal repaired (ingress drop chains added or removed)');
    } catch (err) {
      this.deps.metrics.reconcileErrors.inc({ reason: 'host-guard' });
      this.log.error({ err: (err as Error).message, ports: names.length }, 'host seal not verified');
    }
  }

  private noteVerdict(key: string, v: NamespaceVerdict, now: number, path: string | undefined): void {
    if (v.kind === 'error') {
      const prev = this.failures.get(key);
      if (!prev || prev.message !== v.message) {
        this.failures.record(key, v.reason, v.message, now);
        this.deps.metrics.reconcileErrors.inc({ reason: v.reason });
        this.log.warn({ namespace: path, tenant: v.tenant, err: v.message }, 'namespace not plugged');
      }
    } else if (v.kind !== 'desired') {
      this.failures.clear(key);
    }
  }

  /**
   * Brings the switch to the pipeline of `ports` and `gateways`: nothing at all when they are the inputs of the flows
   * known to be installed; else the difference against what we know is installed (one bundle), or dump-and-diff when
   * we don't know.
   */
  private async syncFlows(ports: readonly FlowPort[], gateways: readonly GatewayFlowPort[]): Promise<number> {
    // ovn: the integration bridge's flows are ovn-controller's; never dumped, diffed or deleted by us.
    if (this.deps.ovn) return 0;
    const inputs = flowInputs(ports, gateways);
    if (this.installedFlows !== undefined && inputs !== undefined && this.flowInputs !== undefined && sameFlowInputs(inputs, this.flowInputs)) {
      this.flowSyncsSkipped++;
      return 0;
    }
    this.flowInputs = undefined;
    const n = await this.syncPipeline(pipelineFlows(ports, gateways, this.pipelineOptions()));
    // Only now: installedFlows is the pipeline of these inputs (a failed sync left it unset, so nothing is skipped).
    if (this.installedFlows !== undefined) this.flowInputs = inputs;
    return n;
  }

  /** Applies the flow difference: against what we know is installed (one process), or dump-and-diff when we don't know. */
  private async syncPipeline(desired: readonly Flow[]): Promise<number> {
    const { flowDriver, flowSync, config } = this.deps;
    // Before anything is sent: updates of our own change then agree with what we expect.
    this.expected.expect(desired);
    if (this.installedFlows === undefined) {
      const r = await flowSync.sync(config.bridge, desired, (change) => this.expected.sending(change));
      this.installedFlows = uniqueFlows(desired);
      return r.added + r.modified + r.deleted;
    }
    const diff = diffFlows(desired, this.installedFlows);
    if (diff.duplicates.length > 0) {
      const d = diff.duplicates[0]!;
      // MACs and addresses are unique per bridge by construction (core/macs.ts, IPAM): this is a bug if it shows.
      this.log.error({ duplicates: diff.duplicates.length, table: d.table, match: d.match }, 'desired flows with the same table, priority and match: kept the first');
    }
    const add = [...diff.add, ...diff.modify];
    if (add.length === 0 && diff.del.length === 0) return 0;
    const started = performance.now();
    this.expected.sending({ add, del: diff.del });
    try {
      await flowDriver.apply(config.bridge, { add, del: diff.del });
    } catch (err) {
      this.installedFlows = undefined;
      throw err;
    } finally {
      this.flowMetrics.took((performance.now() - started) / 1000);
    }
    this.installedFlows = uniqueFlows(desired);
    this.flowMetrics.synced({ added: diff.add.length, modified: diff.modify.length, deleted: diff.del.length }, this.installedFlows);
    return add.length + diff.del.length;
  }

  /** Waits until the replica shows an ofport for each new port (ovs-vswitchd opened the device). */
  private async waitForOfports(names: readonly string[]): Promise<void> {
    const { ovs } = this.deps;
    const pending = (snap: VswitchSnapshot): string[] => {
      const left = new Set(names);
      for (const i of snap.interfaces.values()) if (i.ofport !== undefined && i.ofport > 0) left.delete(i.name);
      return [...left];
    };
    // Checked again only when the replica changes (ovs-vswitchd writes the ofports), never polled.
    const left = await settled(ovs, pending, OFPORT_WAIT_MS);
    if (left.length > 0) this.log.warn({ ports: left.slice(0, 10), count: left.length }, 'ovs-vswitchd has not assigned ofports yet; the next pass retries');
  }

  private updateGauges(desired: DesiredState, owned: readonly OwnedPort[], tenants: TenantSet): void {
    const { metrics } = this.deps;
    const counts = { matched: 0, unmatched: 0, conflict: 0, error: 0, waiting: 0 };
    for (const v of desired.verdicts.values()) counts[v.kind === 'desired' ? 'matched' : v.kind]++;
    for (const [state, n] of Object.entries(counts)) metrics.namespaces.set({ state }, n);
    metrics.ports.reset();
    const byTenant = new Map<string, { ready: number; pending: number }>();
    for (const t of tenants.tenants.keys()) byTenant.set(t, { ready: 0, pending: 0 });
    for (const o of owned) {
      const c = byTenant.get(o.tenant) ?? { ready: 0, pending: 0 };
      c[o.installed ? 'ready' : 'pending']++;
      byTenant.set(o.tenant, c);
    }
    for (const [tenant, c] of byTenant) {
      metrics.ports.set({ tenant, state: 'ready' }, c.ready);
      metrics.ports.set({ tenant, state: 'pending' }, c.pending);
    }
    metrics.tenants.set(tenants.tenants.size);
    metrics.workloadPorts.reset();
    const ownedByKey = new Map(owned.map((o) => [o.key, o]));
    for (const d of desired.ports.values()) {
      const w = d.workload;
      if (!w) continue;
      metrics.workloadPorts.set({ runtime: w.runtime, container: w.name, container_id: w.id.slice(0, 12), tenant: d.tenant, port: d.hostIf }, ownedByKey.get(d.key)?.installed ? 1 : 0);
    }
  }
}

/** The previous pass's addresses and MACs, by namespace key: kept for namespaces whose port record vanished meanwhile. */
function remembered(last: DesiredState): Map<string, HeldAddress> {
  const out = new Map<string, HeldAddress>();
  for (const [key, d] of last.ports) {
    out.set(key, { tenant: d.tenant, ...(d.ip !== undefined ? { cidr: `${d.ip}/${d.prefixLen}` } : {}), mac: d.mac, ...(d.ipv6 ? { cidr6: `${d.ipv6.ip}/${d.ipv6.prefixLen}` } : {}) });
  }
  return out;
}

/** Host links minus those OVSDB records as someone else's interfaces: a foreign port is never an orphan of ours. */
function withoutForeign(links: ReadonlyMap<string, unknown>, snap: { interfaces: ReadonlyMap<string, { name: string }> }, owned: readonly OwnedPort[], broken: readonly { name: string }[]): Set<string> {
  const ours = new Set([...owned, ...broken].map((p) => p.name));
  const foreign = new Set([...snap.interfaces.values()].map((i) => i.name).filter((n) => !ours.has(n)));
  return new Set([...links.keys()].filter((n) => !foreign.has(n)));
}

/** What the pipeline is computed from: usable ports and gateways, each sorted by ofport (its own order). */
interface FlowInputs {
  readonly ports: readonly FlowPort[];
  readonly gateways: readonly FlowPort[];
}

/**
 * The pipeline's inputs in its own order, or undefined when two ports share an ofport (their order would then be the
 * caller's, and could change the flows: no skipping for such inputs).
 */
function flowInputs(ports: readonly FlowPort[], gateways: readonly FlowPort[]): FlowInputs | undefined {
  const sorted = (list: readonly FlowPort[]): FlowPort[] | undefined => {
    const out = list.filter(hasUsableOfport).sort((a, b) => a.ofport - b.ofport);
    for (let i = 1; i < out.length; i++) if (out[i]!.ofport === out[i - 1]!.ofport) return undefined;
    return out;
  };
  const p = sorted(ports);
  const g = sorted(gateways);
  return p && g ? { ports: p, gateways: g } : undefined;
}

/** Every field of FlowPort (a field added there must be compared here too). */
function sameFlowPort(a: FlowPort, b: FlowPort): boolean {
  return a.ofport === b.ofport && a.portName === b.portName && a.mac === b.mac && a.ip === b.ip && a.ip6 === b.ip6 && a.tenantId === b.tenantId && a.tenant === b.tenant;
}

function sameFlowInputs(a: FlowInputs, b: FlowInputs): boolean {
  const same = (x: readonly FlowPort[], y: readonly FlowPort[]): boolean => x.length === y.length && x.every((p, i) => sameFlowPort(p, y[i]!));
  return same(a.ports, b.ports) && same(a.gateways, b.gateways);
}

function toSpec(d: DesiredPort): PlugSpec {
  return {
    key: d.key, nsPath: d.ns.path, inode: d.ns.inode, hostIf: d.hostIf, peerTmp: d.peerTmp, ifName: d.ifName, mac: d.mac,
    ip: d.ip, prefixLen: d.prefixLen, mtu: d.mtu, ...(d.gateway ? { gateway: d.gateway } : {}), ...(d.ipv6 ? { ipv6: d.ipv6 } : {}),
  };
}

/** The previous pass's addresses, plus (ovn) this chassis' claims for keys it has none for: a claim made before a crash is reused. */
function withClaims(mem: Map<string, HeldAddress>, claims: ReadonlyMap<string, HeldAddress> | undefined): Map<string, HeldAddress> {
  if (claims) for (const [k, v] of claims) if (!mem.has(k)) mem.set(k, v);
  return mem;
}
