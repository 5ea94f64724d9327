// In-memory stand-ins for the ovn backend's effects: the northbound database (claims guarded like the real
// transaction) and ovn-controller's ovn-installed marker on the local interfaces.
import { Subject } from 'rxjs';
import { PersistentMap } from '../../../src/ovsdb/index.js';
import type { VswitchSnapshot, InterfaceRow } from '../../../src/ovsdb/index.js';
import type { LogicalSwitchPortRow, LogicalSwitchRow, NbSnapshot } from '../../../src/ovsdb/ovn-nb/nb-rows.js';
import type { PortStore } from '../../../src/agent/port-store.js';
import type { ClaimOutcome, LogicalSide } from '../../../src/agent/ovn/logical-side.js';
import { REQUESTED_CHASSIS, REQUESTED_TNL_KEY, lspRecord, switchRecord, type DesiredLsp, type DesiredSwitch } from '../../../src/core/ovn/logical-records.js';
import type { OwnLsp } from '../../../src/core/ovn/nb-view.js';
import { ExternalIds } from '../../../src/core/ownership.js';
import type { CallLog } from './fake-effects.js';

/** A northbound database shared by several fake hosts; each host's side logs to its CallLog and counts its writes. */
export class FakeNb {
  switches = PersistentMap.empty<LogicalSwitchRow>();
  ports = PersistentMap.empty<LogicalSwitchPortRow>();
  readonly changes$ = new Subject<NbSnapshot>();
  private seq = 0;

  snapshot(): NbSnapshot {
    return { Logical_Switch: this.switches, Logical_Switch_Port: this.ports };
  }

  uuid(kind: string): string {
    return `${kind}-${++this.seq}`;
  }

  /** A port another host (or a person) put there. */
  addPort(switchName: string, row: Omit<LogicalSwitchPortRow, '_uuid'>): string {
    const sw = [...this.switches.values()].find((s) => s.name === switchName)!;
    const id = this.uuid('lsp');
    this.ports = this.ports.set(id, { ...row, _uuid: id });
    this.switches = this.switches.set(sw._uuid, { ...sw, ports: [...sw.ports, id] });
    this.commit();
    return id;
  }

  deletePort(name: string): void {
    const p = [...this.ports.values()].find((x) => x.name === name)!;
    this.ports = this.ports.delete(p._uuid);
    for (const s of this.switches.values()) if (s.ports.includes(p._uuid)) this.switches = this.switches.set(s._uuid, { ...s, ports: s.ports.filter((u) => u !== p._uuid) });
    this.commit();
  }

  commit(): void {
    this.changes$.next(this.snapshot());
  }
}

export class FakeLogicalSide implements LogicalSide {
  writes = 0;
  /** Runs just before the next claim is judged (another host winning a race). */
  beforeClaim: (() => void) | undefined;

  constructor(readonly systemId: string, readonly nb: FakeNb, private readonly log: CallLog) {}

  snapshot(): NbSnapshot {
    return this.nb.snapshot();
  }

  get changes$() {
    return this.nb.changes$.asObservable();
  }

  async ensureSwitches(create: readonly DesiredSwitch[]): Promise<void> {
    this.log.note('nb.ensureSwitches', create.map((s) => s.name));
    await Promise.resolve();
    for (const s of create) {
      if ([...this.nb.switches.values()].some((x) => x.name === s.name)) continue;
      const id = this.nb.uuid('ls');
      this.nb.switches = this.nb.switches.set(id, { _uuid: id, name: s.name, ports: [], other_config: { [REQUESTED_TNL_KEY]: String(s.tenantId) }, external_ids: switchRecord(s) });
    }
    this.writes++;
    this.nb.commit();
  }

  async claim(lsps: readonly DesiredLsp[]): Promise<ReadonlyMap<string, ClaimOutcome>> {
    this.log.note('nb.claim', lsps.map((l) => `${l.name}=${l.ip}`));
    await Promise.resolve();
    this.beforeClaim?.();
    this.beforeClaim = undefined;
    const out = new Map<string, ClaimOutcome>();
    for (const l of lsps) {
      const all = [...this.nb.ports.values()];
      if (all.some((p) => p.external_ids[ExternalIds.tenant] === l.tenant && p.external_ids[ExternalIds.ip] === l.ip)) {
        out.set(l.name, { ok: false, why: 'address-taken', message: `${l.ip} taken` });
        continue;
      }
      if (all.some((p) => p.external_ids[ExternalIds.mac] === l.mac)) {
        out.set(l.name, { ok: false, why: 'mac-taken', message: `${l.mac} taken` });
        continue;
      }
      this.nb.addPort(l.switchName, { name: l.name, type: '', addresses: [l.address], port_security: [l.address], options: { [REQUESTED_CHASSIS]: l.chassis }, external_ids: lspRecord(l), up: undefined });
      out.set(l.name, { ok: true });
    }
    this.writes++;
    return out;
  }

  async release(lsps: readonly OwnLsp[]): Promise<void> {
    this.log.note('nb.release', lsps.map((l) => l.name));
    await Promise.resolve();
    for (const l of lsps) this.nb.deletePort(l.name);
    this.writes++;
  }
}

/** A PortStore whose interfaces carry ovn-installed once `install(name)` says ovn-controller bound them. */
export class OvnControllerOvs implements PortStore {
  private readonly installed = new Set<string>();
  private cache: { base: VswitchSnapshot; size: number; snap: VswitchSnapshot } | undefined;

  constructor(private readonly inner: PortStore) {}

  install(...names: string[]): void {
    for (const n of names) this.installed.add(n);
  }

  snapshot(): VswitchSnapshot {
    const base = this.inner.snapshot();
    if (this.cache?.base === base && this.cache.size === this.installed.size) return this.cache.snap;
    const interfaces = new Map<string, InterfaceRow>();
    for (const [u, i] of base.interfaces) interfaces.set(u, this.installed.has(i.name) ? { ...i, external_ids: { ...i.external_ids, [ExternalIds.ovnInstalled]: 'true' } } : i);
    const snap = { ...base, interfaces };
    this.cache = { base, size: this.installed.size, snap };
    return snap;
  }

  get changes$() {
    return this.inner.changes$;
  }

  addPorts: PortStore['addPorts'] = (...a) => this.inner.addPorts(...a);
  addGateways: PortStore['addGateways'] = (...a) => this.inner.addGateways(...a);
  removePorts: PortStore['removePorts'] = (...a) => this.inner.removePorts(...a);
  markInstalled: PortStore['markInstalled'] = (...a) => this.inner.markInstalled(...a);
}
