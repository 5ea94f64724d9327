import type { OwnedPort } from '../core/model.js';
import { ownedPorts } from '../core/owned-ports.js';
import { namespaceKey } from '../netns/types.js';
import type { GatewayStatus, NamespaceStatus, RuntimeStatus, StatusReport, TenantStatus, WorkloadStatus } from '../observe/status-types.js';
import type { WorkloadInfo } from '../workloads/types.js';
import type { VswitchSnapshot } from '../ovsdb/index.js';
import type { Reconciler } from './reconciler.js';
import { workloadJoin, type PassInput } from './pass-input.js';

/** The /status document: what the agent knows (inputs, verdicts, failures) and what OVS holds (owned ports). */
export function buildStatus(input: {
  version: string;
  bridge: string;
  ready: boolean;
  ovsdbConnected: boolean;
  reconciler: Reconciler;
  /** The sources' latest (namespaces, tenants, runtimes). */
  inputs: PassInput;
  /** Namespace paths as the runtimes spell them (default: as is). */
  normalisePath?: (path: string) => string;
  snapshot: VswitchSnapshot;
  dirErrors?: ReadonlyMap<string, { reason: string; sinceMs: number }>;
  /** Refused namespace files by path (never plugged): one error entry each. */
  refused?: ReadonlyMap<string, { reason: string; sinceMs: number }>;
}): StatusReport {
  const { reconciler: r, inputs } = input;
  const workloadOf = workloadJoin(inputs, input.normalisePath);
  const owned = new Map<string, OwnedPort>(ownedPorts(input.snapshot, input.bridge).owned.map((o) => [o.key, o]));
  const verdicts = r.lastDesired.verdicts;
  const namespaces: NamespaceStatus[] = [];
  for (const ns of [...inputs.namespaces.values()].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const key = namespaceKey(ns);
    const v = verdicts.get(key);
    const o = owned.get(key);
    const failure = r.failures.get(key);
    const w = workloadOf(ns);
    const workload = w.kind === 'known' ? { workload: workloadStatus(w.workload) } : {};
    const base = { path: ns.path, name: ns.name, ...workload };
    if (!v) namespaces.push({ ...base, state: 'pending' });
    else if (v.kind === 'waiting') namespaces.push({ ...base, state: 'waiting', note: v.reason });
    else if (v.kind === 'unmatched') namespaces.push({ ...base, state: 'unmatched' });
    else if (v.kind === 'conflict') namespaces.push({ ...base, state: 'conflict', error: `matched by tenants ${v.tenants.join(', ')}` });
    else if (v.kind === 'error') namespaces.push({ ...base, tenant: v.tenant, state: 'error', error: v.message });
    else {
      const state = failure ? 'error' : o?.installed ? 'ready' : 'pending';
      namespaces.push({
        ...base,
        tenant: v.port.tenant,
        state,
        ...(v.port.ip !== undefined ? { ip: `${v.port.ip}/${v.port.prefixLen}` } : {}),
        ...(v.port.ipv6 ? { ip6: `${v.port.ipv6.ip}/${v.port.ipv6.prefixLen}` } : {}),
        mac: v.port.mac,
        port: v.port.hostIf,
        ...(o?.ofport !== undefined ? { ofport: o.ofport } : {}),
        ...(failure ? { error: failure.message } : {}),
        ...(v.held !== undefined ? { note: `kept as it is: ${v.held}` } : {}),
      });
    }
  }
  const tenants: TenantStatus[] = [...inputs.tenants.tenants.values()]
    .sort((a, b) => a.id - b.id)
    .map((t) => {
      const mine = namespaces.filter((n) => n.tenant === t.name);
      const subnets = { ...(t.subnet !== undefined ? { subnet: t.subnet } : {}), ...(t.subnet6 !== undefined ? { subnet6: t.subnet6 } : {}) };
      const base = { name: t.name, id: t.id, ...subnets, ports: mine.length, ready: mine.filter((n) => n.state === 'ready').length };
      const gw = gatewayStatus(r, t.name);
      return gw ? { ...base, gateway: gw } : base;
    });
  const byPath = (m: ReadonlyMap<string, { reason: string; sinceMs: number }> | undefined) =>
    [...(m ?? new Map<string, { reason: string; sinceMs: number }>())]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([path, e]) => ({ namespace: path, reason: e.reason, since: new Date(e.sinceMs).toISOString() }));
  const errors = [
    ...byPath(input.dirErrors),
    ...byPath(input.refused),
    ...[...r.failures.entries()].map(([key, f]) => ({
      namespace: inputs.namespaces.get(key)?.path ?? key,
      reason: `${f.reason}: ${f.message}`,
      since: new Date(f.sinceMs).toISOString(),
    })),
  ];
  const runtimes: RuntimeStatus[] = inputs.runtimes.map((rt) => ({
    runtime: rt.runtime,
    connected: rt.state?.connected ?? false,
    synced: rt.state?.synced ?? false,
    workloads: rt.state?.workloads.size ?? 0,
    since: new Date(rt.state?.sinceMs ?? 0).toISOString(),
    ...(rt.state?.error !== undefined ? { error: rt.state.error } : rt.state ? {} : { error: 'not connected yet' }),
  }));
  return {
    version: input.version,
    bridge: input.bridge,
    ready: input.ready,
    ovsdbConnected: input.ovsdbConnected,
    tenants,
    namespaces,
    ...(runtimes.length > 0 ? { runtimes } : {}),
    problems: inputs.tenants.problems,
    errors,
  };
}

/** The tenant's gateway as the last pass left it. */
function gatewayStatus(r: Reconciler, tenant: string): GatewayStatus | undefined {
  const d = r.lastGateways.desired.find((g) => g.tenant === tenant);
  if (!d) return undefined;
  const o = r.lastGateways.owned.find((g) => g.tenant === tenant && g.name === d.name);
  return {
    port: d.name,
    ip: `${d.ip}/${d.prefixLen}`,
    mac: d.mac,
    ...(o?.ofport !== undefined ? { ofport: o.ofport } : {}),
    state: o?.ofport !== undefined ? 'ready' : 'pending',
    snat: d.snat,
    peers: d.peers.map((p) => p.tenant),
    hostServices: d.hostServices.map((h) => `${h.protocol}/${h.port}`),
  };
}

function workloadStatus(w: WorkloadInfo): WorkloadStatus {
  return { runtime: w.runtime, name: w.name, id: w.id, state: w.state, secondary: w.runtimeNetworked };
}
