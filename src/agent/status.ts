import type { OwnedPort } from '../core/model.js';
import { ownedPorts } from '../core/owned-ports.js';
import { namespaceKey } from '../netns/types.js';
import type { NamespaceStatus, StatusReport, TenantStatus } from '../observe/status-types.js';
import type { VswitchSnapshot } from '../ovsdb/index.js';
import type { Reconciler } from './reconciler.js';

/** The /status document: what the agent knows (inputs, verdicts, failures) and what OVS holds (owned ports). */
export function buildStatus(input: {
  version: string;
  bridge: string;
  ready: boolean;
  ovsdbConnected: boolean;
  reconciler: Reconciler;
  snapshot: VswitchSnapshot;
  dirErrors?: ReadonlyMap<string, { reason: string; sinceMs: number }>;
  /** Refused namespace files by path (never plugged): one error entry each. */
  refused?: ReadonlyMap<string, { reason: string; sinceMs: number }>;
}): StatusReport {
  const { reconciler: r } = input;
  const owned = new Map<string, OwnedPort>(ownedPorts(input.snapshot, input.bridge).owned.map((o) => [o.key, o]));
  const verdicts = r.lastDesired.verdicts;
  const namespaces: NamespaceStatus[] = [];
  for (const ns of [...r.namespaces.values()].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const key = namespaceKey(ns);
    const v = verdicts.get(key);
    const o = owned.get(key);
    const failure = r.failures.get(key);
    const base = { path: ns.path, name: ns.name };
    if (!v) namespaces.push({ ...base, state: 'pending' });
    else if (v.kind === 'unmatched') namespaces.push({ ...base, state: 'unmatched' });
    else if (v.kind === 'conflict') namespaces.push({ ...base, state: 'conflict', error: `matched by tenants ${v.tenants.join(', ')}` });
    else if (v.kind === 'error') namespaces.push({ ...base, tenant: v.tenant, state: 'error', error: v.message });
    else {
      const state = failure ? 'error' : o?.installed ? 'ready' : 'pending';
      namespaces.push({
        ...base,
        tenant: v.port.tenant,
        state,
        ip: `${v.port.ip}/${v.port.prefixLen}`,
        mac: v.port.mac,
        port: v.port.hostIf,
        ...(o?.ofport !== undefined ? { ofport: o.ofport } : {}),
        ...(failure ? { error: failure.message } : {}),
      });
    }
  }
  const tenants: TenantStatus[] = [...r.tenants.tenants.values()]
    .sort((a, b) => a.id - b.id)
    .map((t) => {
      const mine = namespaces.filter((n) => n.tenant === t.name);
      return { name: t.name, id: t.id, subnet: t.subnet, ports: mine.length, ready: mine.filter((n) => n.state === 'ready').length };
    });
  const byPath = (m: ReadonlyMap<string, { reason: string; sinceMs: number }> | undefined) =>
    [...(m ?? new Map<string, { reason: string; sinceMs: number }>())]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([path, e]) => ({ namespace: path, reason: e.reason, since: new Date(e.sinceMs).toISOString() }));
  const errors = [
    ...byPath(input.dirErrors),
    ...byPath(input.refused),
    ...[...r.failures.entries()].map(([key, f]) => ({
      namespace: r.namespaces.get(key)?.path ?? key,
      reason: `${f.reason}: ${f.message}`,
      since: new Date(f.sinceMs).toISOString(),
    })),
  ];
  return {
    version: input.version,
    bridge: input.bridge,
    ready: input.ready,
    ovsdbConnected: input.ovsdbConnected,
    tenants,
    namespaces,
    problems: r.tenants.problems,
    errors,
  };
}
