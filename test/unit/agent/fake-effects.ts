// In-memory stand-ins for the reconciler's effects (OVSDB, kernel links, the switch's flow table), so a
// pass can be run and inspected without root. Every call is written to one shared log, in order.
import { Subject } from 'rxjs';
import type { PortStore } from '../../../src/agent/port-store.js';
import type { DesiredPort, OwnedPort } from '../../../src/core/model.js';
import type { DesiredGateway } from '../../../src/core/gateway/desired-gateways.js';
import { interfaceRecord } from '../../../src/core/owned-ports.js';
import { ExternalIds, OWNER_KEY, OWNER_VALUE } from '../../../src/core/ownership.js';
import type { BridgeRow, InterfaceRow, PortRow, VswitchSnapshot } from '../../../src/ovsdb/index.js';
import type { HostLink, PlugResult, PlugSpec, Plumbing } from '../../../src/plumbing/types.js';
import { flowKey, type Flow, type FlowChange, type FlowDriver } from '../../../src/openflow/index.js';

export type Call = { readonly effect: string; readonly detail: readonly string[] };

export class CallLog {
  readonly calls: Call[] = [];
  note(effect: string, detail: readonly string[] = []): void {
    this.calls.push({ effect, detail });
  }
  effects(): string[] {
    return this.calls.map((c) => c.effect);
  }
  indexOf(effect: string): number {
    return this.effects().indexOf(effect);
  }
  clear(): void {
    this.calls.length = 0;
  }
}

/** A one-bridge OVSDB that numbers a new interface at once (as ovs-vswitchd does): its ofport_request, else the lowest free. */
export class FakeOvs implements PortStore {
  readonly bridgeUuid = 'bridge-0';
  readonly changes$ = new Subject<VswitchSnapshot>();
  private readonly ports = new Map<string, PortRow>();
  private readonly interfaces = new Map<string, InterfaceRow>();
  private bridgePorts: string[] = [];
  private snap: VswitchSnapshot | undefined;
  private seq = 0;
  /** Makes the next addPorts fail (after logging it), as a lost OVSDB connection would. */
  failNextAdd: Error | undefined;
  /** The same for the next removePorts. */
  failNextRemove: Error | undefined;
  /** The OpenFlow number the next added interface gets instead of its request (ovs-vswitchd's choice, e.g. the request was taken). */
  grantNext: number | undefined;
  writes = 0;

  constructor(private readonly log: CallLog, private readonly bridge = 'br-nsv') {}

  snapshot(): VswitchSnapshot {
    this.snap ??= {
      openVSwitch: { _uuid: 'root', bridges: [this.bridgeUuid], next_cfg: 0, cur_cfg: 0, external_ids: {} },
      bridges: new Map<string, BridgeRow>([[this.bridgeUuid, {
        _uuid: this.bridgeUuid, name: this.bridge, ports: [...this.bridgePorts], datapath_type: 'netdev', fail_mode: 'secure',
        protocols: ['OpenFlow13', 'OpenFlow15'], external_ids: {}, other_config: {},
      }]]),
      ports: new Map(this.ports),
      interfaces: new Map(this.interfaces),
    };
    return this.snap;
  }

  async addPorts(_bridgeUuid: string, ports: readonly DesiredPort[], ofportRequests: readonly (number | undefined)[] = []): Promise<void> {
    this.log.note('ovs.addPorts', ports.map((p) => p.hostIf));
    await Promise.resolve();
    if (this.failNextAdd) {
      const err = this.failNextAdd;
      this.failNextAdd = undefined;
      throw err;
    }
    ports.forEach((d, i) => this.insert(d.hostIf, interfaceRecord(d), ofportRequests[i]));
    this.commit();
  }

  async addGateways(_bridgeUuid: string, gws: readonly DesiredGateway[]): Promise<void> {
    this.log.note('ovs.addGateways', gws.map((g) => g.name));
    await Promise.resolve();
    throw new Error('gateways are not modelled by FakeOvs');
  }

  async removePorts(_bridgeUuid: string, ports: readonly Pick<OwnedPort, 'portUuid'>[], opts: { readonly waitApplied?: boolean } = {}): Promise<void> {
    this.log.note('ovs.removePorts', ports.map((p) => this.ports.get(p.portUuid)?.name ?? p.portUuid).concat(opts.waitApplied ? ['wait'] : []));
    await Promise.resolve();
    if (this.failNextRemove) {
      const err = this.failNextRemove;
      this.failNextRemove = undefined;
      throw err;
    }
    const gone = new Set(ports.map((p) => p.portUuid));
    this.bridgePorts = this.bridgePorts.filter((u) => !gone.has(u));
    for (const u of gone) {
      for (const i of this.ports.get(u)?.interfaces ?? []) this.interfaces.delete(i);
      this.ports.delete(u);
    }
    this.commit();
  }

  async markInstalled(ifaceUuids: readonly string[]): Promise<void> {
    this.log.note('ovs.markInstalled', ifaceUuids.map((u) => this.interfaces.get(u)?.name ?? u));
    await Promise.resolve();
    for (const u of ifaceUuids) {
      const row = this.interfaces.get(u);
      if (row) this.interfaces.set(u, { ...row, external_ids: { ...row.external_ids, [ExternalIds.installed]: 'true' } });
    }
    this.commit();
  }

  /** Gives a port another OpenFlow number (as an older agent, or ovs-vswitchd, may have). */
  renumber(name: string, ofport: number): void {
    for (const [u, row] of this.interfaces) if (row.name === name) this.interfaces.set(u, { ...row, ofport, ofport_request: ofport });
    this.snap = undefined;
  }

  private insert(name: string, ids: Record<string, string>, request: number | undefined): void {
    const used = new Set([...this.interfaces.values()].map((i) => i.ofport));
    let ofport = this.grantNext ?? request;
    this.grantNext = undefined;
    if (ofport === undefined || used.has(ofport)) for (ofport = 1; used.has(ofport); ofport++);
    const iu = `iface-${++this.seq}`;
    const pu = `port-${this.seq}`;
    this.interfaces.set(iu, {
      _uuid: iu, name, type: '', ofport, ofport_request: request, mac_in_use: undefined, external_ids: ids, statistics: {}, error: undefined, link_state: 'up',
    });
    this.ports.set(pu, { _uuid: pu, name, interfaces: [iu], external_ids: { [OWNER_KEY]: OWNER_VALUE } });
    this.bridgePorts.push(pu);
  }

  private commit(): void {
    this.writes++;
    this.snap = undefined;
    this.changes$.next(this.snapshot());
  }
}

/** Kernel links: plug creates the host end, unplug deletes it; a spec can be made to fail. */
export class FakePlumbing implements Plumbing {
  readonly links = new Map<string, HostLink>();
  /** Namespace keys whose plug fails (with this error). */
  readonly failing = new Map<string, Error>();

  constructor(private readonly log: CallLog) {}

  async plug(specs: readonly PlugSpec[]): Promise<PlugResult[]> {
    this.log.note('plumbing.plug', specs.map((s) => s.hostIf));
    await Promise.resolve();
    return specs.map((s) => {
      const error = this.failing.get(s.key);
      if (error) return { key: s.key, ok: false, error };
      this.links.set(s.hostIf, { name: s.hostIf, ifindex: this.links.size + 2, mtu: s.mtu, up: true });
      return { key: s.key, ok: true };
    });
  }

  async unplug(hostIfs: readonly string[]): Promise<void> {
    this.log.note('plumbing.unplug', hostIfs);
    await Promise.resolve();
    for (const n of hostIfs) this.links.delete(n);
  }

  async listHostLinks(prefix: string): Promise<Map<string, HostLink>> {
    await Promise.resolve();
    return new Map([...this.links].filter(([n]) => n.startsWith(prefix)));
  }

  async guardHostEnds(): Promise<{ added: number; removed: number }> {
    await Promise.resolve();
    return { added: 0, removed: 0 };
  }
}

/** The switch's flow table (ours only), changed by atomic bundles; every bundle is logged with its counts. */
export class FakeFlowDriver implements FlowDriver {
  readonly table = new Map<string, Flow>();
  flowMods = 0;

  constructor(private readonly log: CallLog) {}

  async dump(): Promise<Flow[]> {
    this.log.note('flows.dump');
    await Promise.resolve();
    return [...this.table.values()];
  }

  async apply(_bridge: string, change: FlowChange): Promise<void> {
    this.log.note('flows.apply', [`+${change.add.length}`, `-${change.del.length}`]);
    await Promise.resolve();
    this.flowMods += change.add.length + change.del.length;
    for (const f of change.del) this.table.delete(flowKey(f));
    for (const f of change.add) this.table.set(flowKey(f), f);
  }

  /** Flows that output to, or match on, `ofport`. */
  flowsOfPort(ofport: number): Flow[] {
    return [...this.table.values()].filter((f) => new RegExp(`(in_port=${ofport}\\b)|(output:${ofport}\\b)`).test(`${f.match} ${f.actions}`));
  }
}
