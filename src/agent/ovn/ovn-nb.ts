import type { Observable } from 'rxjs';
import { settled } from '../../reconcile/settled.js';
import { Txn, byUuid, cond, mutation, ovsMap, ovsSet, uuid, OvsdbOpError, type OvsdbClientApi, type NamedUuid } from '../../ovsdb/index.js';
import { TypedReplica } from '../../ovsdb/client/typed-replica.js';
import { NB_COLUMNS, NB_MAPPERS, OVN_NB_DB, type NbSnapshot } from '../../ovsdb/ovn-nb/nb-rows.js';
import { REQUESTED_CHASSIS, REQUESTED_TNL_KEY, lspRecord, switchRecord, type DesiredLsp, type DesiredSwitch } from '../../core/ovn/logical-records.js';
import { nbView, type OwnLsp } from '../../core/ovn/nb-view.js';
import { ExternalIds } from '../../core/ownership.js';
import type { Logger } from '../../observe/logger.js';
import type { ClaimOutcome, ClaimRefusal, LogicalSide } from './logical-side.js';

/** How long a switch another host just made may take to show in our replica. */
export const SWITCH_SEEN_TIMEOUT_MS = 5_000;

/** The northbound side on a live client: a replica of the two tables and the few transactions the agent writes. */
export class OvnNorthbound implements LogicalSide {
  private constructor(
    readonly systemId: string,
    private readonly client: OvsdbClientApi,
    private readonly replica: TypedReplica<typeof NB_MAPPERS>,
    private readonly log: Logger,
  ) {}

  /** Monitors Logical_Switch and Logical_Switch_Port (only the columns used); resolves after the initial rows. */
  static async start(client: OvsdbClientApi, systemId: string, logger: Logger): Promise<OvnNorthbound> {
    const replica = await TypedReplica.start(client, OVN_NB_DB, {
      Logical_Switch: { columns: NB_COLUMNS.Logical_Switch },
      Logical_Switch_Port: { columns: NB_COLUMNS.Logical_Switch_Port },
    }, NB_MAPPERS, { logger });
    return new OvnNorthbound(systemId, client, replica, logger.child({ chassis: systemId }));
  }

  snapshot(): NbSnapshot {
    return this.replica.snapshot();
  }

  get changes$(): Observable<NbSnapshot> {
    return this.replica.changes$;
  }

  async stop(): Promise<void> {
    await this.replica.stop().catch(() => undefined);
  }

  async ensureSwitches(create: readonly DesiredSwitch[]): Promise<void> {
    let left = [...create];
    // Each round drops a switch another host made first (its wait failed) and tries the rest again.
    for (let round = 0; left.length > 0 && round <= create.length; round++) {
      const txn = new Txn();
      const waitAt = new Map<number, DesiredSwitch>();
      for (const [i, s] of left.entries()) {
        // Concurrent creation by several hosts yields one switch: the first commit wins, the others' wait fails.
        waitAt.set(txn.wait('Logical_Switch', [cond('name', '==', s.name)], ['name'], '==', [], 0), s);
        txn.insert('Logical_Switch', {
          name: s.name, other_config: ovsMap({ [REQUESTED_TNL_KEY]: String(s.tenantId) }), external_ids: ovsMap(switchRecord(s)),
        }, `ls${i}`);
      }
      txn.comment(`nsvswitch ${this.systemId}: create logical switch(es) ${left.map((s) => s.name).join(', ')}`);
      try {
        await this.client.transact(OVN_NB_DB, txn.ops());
        for (const s of left) this.log.info({ switch: s.name, tenant: s.tenant, tunnelKey: s.tenantId }, 'logical switch created');
        left = [];
      } catch (err) {
        const s = OvsdbOpError.is(err, 'timed out') ? waitAt.get(err.opIndex) : undefined;
        if (!s) throw err;
        this.log.info({ switch: s.name, tenant: s.tenant }, 'logical switch made by another host first: using it');
        left = left.filter((x) => x !== s);
      }
    }
    // A switch another host made may not be in our replica yet: the claims need its uuid.
    await this.waitForSwitches(create.map((s) => s.name));
  }

  private async waitForSwitches(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    const missing = (snap: NbSnapshot): string[] => {
      const have = new Set([...snap.Logical_Switch.values()].map((s) => s.name));
      return names.filter((n) => !have.has(n));
    };
    const left = await settled(this.replica, missing, SWITCH_SEEN_TIMEOUT_MS);
    if (left.length > 0) this.log.warn({ switches: left }, 'logical switches not in the replica yet; their ports wait for the next pass');
  }

  async claim(lsps: readonly DesiredLsp[]): Promise<ReadonlyMap<string, ClaimOutcome>> {
    const out = new Map<string, ClaimOutcome>();
    let left = [...lsps];
    for (let round = 0; left.length > 0 && round <= lsps.length; round++) {
      const switches = new Map<string, string>();
      for (const s of this.snapshot().Logical_Switch.values()) if (!switches.has(s.name)) switches.set(s.name, s._uuid);
      for (const l of left) {
        if (!switches.has(l.switchName)) out.set(l.name, { ok: false, why: 'switch-gone', message: `logical switch ${l.switchName} of tenant ${l.tenant} not found` });
      }
      left = left.filter((l) => switches.has(l.switchName));
      // A name someone else holds (not ours to change; ours that differ were released before): refused without a try.
      const names = new Set([...this.snapshot().Logical_Switch_Port.values()].map((p) => p.name));
      for (const l of left) if (names.has(l.name)) out.set(l.name, { ok: false, why: 'name-taken', message: `logical port ${l.name} exists already and is not ours to change` });
      left = left.filter((l) => !names.has(l.name));
      // What another host claimed since the pass planned (in the replica by now when a wait failed): refused at once,
      // so a burst racing other hosts costs a round per competing commit, not one per port.
      const view = nbView(this.snapshot(), this.systemId);
      for (const l of left) {
        if (view.elsewhereAddresses.get(l.tenant)?.has(l.ip)) out.set(l.name, { ok: false, why: 'address-taken', message: refusalMessage('address-taken', l) });
        else if (view.elsewhereMacs.has(l.mac)) out.set(l.name, { ok: false, why: 'mac-taken', message: refusalMessage('mac-taken', l) });
      }
      left = left.filter((l) => !out.has(l.name));
      if (left.length === 0) break;
      const { txn, owner } = claimTxn(left, switches, this.systemId);
      try {
        await this.client.transact(OVN_NB_DB, txn.ops());
        for (const l of left) out.set(l.name, { ok: true });
        left = [];
      } catch (err) {
        if (!(err instanceof OvsdbOpError)) throw err;
        if (err.atCommit && err.kind === 'constraint violation') {
          // A name index violation is found at commit: the server's details name the row.
          const dup = left.filter((l) => (err.details ?? '').includes(l.name));
          if (dup.length === 0) throw err;
          for (const l of dup) out.set(l.name, { ok: false, why: 'name-taken', message: refusalMessage('name-taken', l, err) });
          left = left.filter((l) => !dup.includes(l));
          continue;
        }
        const who = owner.get(err.opIndex);
        if (!who) throw err;
        const refused: DesiredLsp[] = 'lsp' in who ? [who.lsp] : left.filter((l) => l.switchName === who.switch);
        for (const l of refused) {
          const why: ClaimRefusal = 'lsp' in who ? (err.kind === 'constraint violation' ? 'name-taken' : who.what) : 'switch-gone';
          out.set(l.name, { ok: false, why, message: refusalMessage(why, l, err) });
        }
        left = left.filter((l) => !refused.includes(l));
      }
    }
    return out;
  }

  async release(lsps: readonly OwnLsp[]): Promise<void> {
    const mine = lsps.filter((l) => l.row.external_ids[ExternalIds.chassis] === this.systemId);
    if (mine.length === 0) return;
    const txn = new Txn();
    const bySwitch = new Map<string, string[]>();
    for (const l of mine) {
      if (!l.switchUuid) continue;
      const list = bySwitch.get(l.switchUuid) ?? [];
      list.push(l.uuid);
      bySwitch.set(l.switchUuid, list);
    }
    // A port no switch holds is garbage-collected by the server already; the rest go with their reference.
    for (const [sw, ports] of bySwitch) txn.mutate('Logical_Switch', [byUuid(sw)], [mutation('ports', 'delete', ovsSet(ports.map(uuid)))]);
    if (bySwitch.size === 0) return;
    txn.comment(`nsvswitch ${this.systemId}: delete ${mine.length} logical port(s)`);
    await this.client.transact(OVN_NB_DB, txn.ops());
  }
}

type OpOwner = { readonly lsp: DesiredLsp; readonly what: 'address-taken' | 'mac-taken' } | { readonly switch: string };

/**
 * One transaction claiming ports: per port a wait that no port of the tenant
 * has its address and one that no port anywhere has its MAC (timeout 0: fail
 * at once), the insert, and per switch a wait that it still exists and the
 * reference that keeps the new rows (LSPs are not a root table).
 */
export function claimTxn(lsps: readonly DesiredLsp[], switchUuids: ReadonlyMap<string, string>, systemId: string): { txn: Txn; owner: Map<number, OpOwner> } {
  const txn = new Txn();
  const owner = new Map<number, OpOwner>();
  const refs = new Map<string, NamedUuid[]>();
  for (const [i, l] of lsps.entries()) {
    owner.set(txn.wait('Logical_Switch_Port', [cond('external_ids', 'includes', ovsMap({ [ExternalIds.tenant]: l.tenant, [ExternalIds.ip]: l.ip }))], ['name'], '==', [], 0), { lsp: l, what: 'address-taken' });
    owner.set(txn.wait('Logical_Switch_Port', [cond('external_ids', 'includes', ovsMap({ [ExternalIds.mac]: l.mac }))], ['name'], '==', [], 0), { lsp: l, what: 'mac-taken' });
    const ref = txn.insert('Logical_Switch_Port', {
      name: l.name,
      addresses: ovsSet([l.address]),
      port_security: ovsSet([l.address]),
      options: ovsMap({ [REQUESTED_CHASSIS]: l.chassis }),
      external_ids: ovsMap(lspRecord(l)),
    }, `lsp${i}`);
    // A duplicate name fails at commit or at the insert: both map to this port.
    owner.set(txn.length - 1, { lsp: l, what: 'address-taken' });
    const list = refs.get(l.switchName) ?? [];
    list.push(ref);
    refs.set(l.switchName, list);
  }
  for (const [name, list] of refs) {
    const sw = switchUuids.get(name)!;
    owner.set(txn.wait('Logical_Switch', [byUuid(sw)], ['name'], '!=', [], 0), { switch: name });
    txn.mutate('Logical_Switch', [byUuid(sw)], [mutation('ports', 'insert', ovsSet(list))]);
  }
  txn.comment(`nsvswitch ${systemId}: claim ${lsps.length} logical port(s)`);
  return { txn, owner };
}

function refusalMessage(why: ClaimRefusal, l: DesiredLsp, err?: OvsdbOpError): string {
  switch (why) {
    case 'address-taken': return `tenant ${l.tenant}: address ${l.ip} taken by another host's port meanwhile (logical port ${l.name})`;
    case 'mac-taken': return `MAC ${l.mac} taken by another port meanwhile (logical port ${l.name})`;
    case 'name-taken': return `logical port ${l.name} exists already and is not ours to change: ${err?.details ?? err?.error ?? 'in the replica'}`;
    case 'switch-gone': return `logical switch ${l.switchName} of tenant ${l.tenant} was deleted meanwhile`;
  }
}
