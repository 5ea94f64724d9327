// One container as Docker's inspect answer describes it, turned into a WorkloadInfo. Pure. The answer is
// untrusted: types checked, sizes bounded, labels kept as data in a null-prototype record.
import type { WorkloadState } from '../types.js';
import { CONTROL, rec, type ParsedWorkload } from '../untrusted.js';

/** Bounds on what one container may carry; a container beyond them is never selected (and reported). */
export const CONTAINER_LIMITS = Object.freeze({ labels: 256, labelKey: 512, labelValue: 4096, name: 255, path: 4096, networkMode: 256 });

const ID = /^[0-9a-f]{12,64}$/;

/** Not usable: no own namespace, out of bounds. */
export type ParsedContainer = ParsedWorkload;

/** Docker's State.Status → what matters for plugging. */
export function foldState(status: unknown): WorkloadState {
  switch (status) {
    case 'running':
    case 'paused':
      return 'running';
    case 'created':
    case 'restarting':
      return 'starting';
    default:
      return 'stopped';
  }
}

function labelsOf(v: unknown): Record<string, string> | string {
  const out = Object.create(null) as Record<string, string>;
  if (v === null || v === undefined) return out;
  const r = rec(v);
  if (!r) return 'Config.Labels is not a mapping';
  const entries = Object.entries(r);
  if (entries.length > CONTAINER_LIMITS.labels) return `more than ${CONTAINER_LIMITS.labels} labels`;
  for (const [k, val] of entries) {
    if (typeof val !== 'string') return 'a label value is not a string';
    if (k.length > CONTAINER_LIMITS.labelKey || val.length > CONTAINER_LIMITS.labelValue) return 'a label is longer than allowed';
    Object.defineProperty(out, k, { value: val, enumerable: true });
  }
  return out;
}

/**
 * An inspect answer (GET /containers/{id}/json) → a workload. `normalise` maps the SandboxKey to the
 * path the namespace source reports (symlinked directories such as /var/run resolved).
 */
export function parseContainer(v: unknown, normalise: (path: string) => string = (p) => p): ParsedContainer {
  const c = rec(v);
  if (!c) return { ok: false, reason: 'not an object' };
  const id = c.Id;
  if (typeof id !== 'string' || !ID.test(id)) return { ok: false, reason: 'no valid Id' };
  const rawName = c.Name;
  if (typeof rawName !== 'string') return { ok: false, id, reason: 'no Name' };
  const name = rawName.startsWith('/') ? rawName.slice(1) : rawName;
  if (name === '' || name.length > CONTAINER_LIMITS.name || CONTROL.test(name) || name.includes('/')) return { ok: false, id, reason: 'Name is empty, too long or holds "/" or control characters' };
  const labels = labelsOf(rec(c.Config)?.Labels);
  if (typeof labels === 'string') return { ok: false, id, reason: labels };
  const mode = rec(c.HostConfig)?.NetworkMode;
  const networkMode = typeof mode === 'string' && mode.length <= CONTAINER_LIMITS.networkMode && !CONTROL.test(mode) ? mode : undefined;
  if (networkMode === undefined) return { ok: false, id, reason: 'HostConfig.NetworkMode is missing or malformed' };
  // Another container's namespace (--network container:X) is that container's workload; the host's is never plugged.
  if (networkMode.startsWith('container:')) return { ok: false, id, reason: `shares the namespace of ${networkMode}` };
  if (networkMode === 'host') return { ok: false, id, reason: 'uses the host network' };
  const state = foldState(rec(c.State)?.Status);
  const key = rec(c.NetworkSettings)?.SandboxKey;
  if (key !== undefined && key !== null && typeof key !== 'string') return { ok: false, id, reason: 'NetworkSettings.SandboxKey is not a string' };
  const sandbox = typeof key === 'string' ? key : '';
  if (sandbox === '') return { ok: false, id, reason: 'no namespace (not running)' };
  if (!sandbox.startsWith('/') || sandbox.length > CONTAINER_LIMITS.path || CONTROL.test(sandbox) || sandbox.split('/').includes('..')) {
    return { ok: false, id, reason: 'NetworkSettings.SandboxKey is not a clean absolute path' };
  }
  return {
    ok: true,
    workload: { runtime: 'docker', id, name, labels, netnsPath: normalise(sandbox), networkMode, runtimeNetworked: networkMode !== 'none', state },
  };
}

/** The container ids of a listing (GET /containers/json?all=1), bounded; malformed entries skipped. */
export function listedIds(v: unknown, max: number): { ids: string[]; truncated: boolean } {
  if (!Array.isArray(v)) return { ids: [], truncated: false };
  const ids: string[] = [];
  for (const e of v) {
    const id = rec(e)?.Id;
    if (typeof id === 'string' && ID.test(id)) ids.push(id);
    if (ids.length >= max) return { ids, truncated: v.length > max };
  }
  return { ids, truncated: false };
}

/** A container event's action and id (GET /events), or undefined if it is not one. */
export function parseEvent(v: unknown): { action: string; id: string } | undefined {
  const e = rec(v);
  if (!e || e.Type !== 'container') return undefined;
  const action = e.Action;
  const id = rec(e.Actor)?.ID;
  if (typeof action !== 'string' || typeof id !== 'string' || !ID.test(id)) return undefined;
  return { action, id };
}
