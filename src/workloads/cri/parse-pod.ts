// One pod sandbox as the CRI describes it (PodSandboxStatus, verbose), turned into a WorkloadInfo.
// Pure. Everything is untrusted: sizes were bounded by the codec, here names, paths and the verbose
// info JSON are checked, and labels stay data in null-prototype records.
import { basename } from 'node:path';
import type { WorkloadState } from '../types.js';
import { CONTROL, rec, type ParsedWorkload } from '../untrusted.js';
import { NAMESPACE_MODE_NODE, SANDBOX_READY, type PodSandboxItem, type PodSandboxStatusAnswer } from './cri-messages.js';

export const CRI_RUNTIME_NAME = 'cri';
/** The Multus / Network Plumbing WG annotation: which networks a pod asks for (here: its tenant, by name). */
export const NETWORKS_ANNOTATION = 'k8s.v1.cni.cncf.io/networks';
/** Networks read from one annotation, and the longest name kept. */
export const NETWORKS_LIMITS = Object.freeze({ entries: 16, name: 253 });

const SANDBOX_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Kubernetes namespace: an RFC 1123 label; pod name: an RFC 1123 subdomain (checked loosely: no "/" and no control characters). */
const K8S_NAMESPACE = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

export type ParsedPod = ParsedWorkload;

export function foldPodState(state: number): WorkloadState {
  return state === SANDBOX_READY ? 'running' : 'stopped';
}

/**
 * The network namespace path from containerd's verbose info (`info.info` JSON:
 * runtimeSpec.linux.namespaces[type=network].path). undefined when there is none (host network).
 */
export function netnsPathOfInfo(info: Readonly<Record<string, string>>): string | { fault: string } | undefined {
  const raw = Object.prototype.hasOwnProperty.call(info, 'info') ? info.info : undefined;
  if (raw === undefined) return { fault: 'the verbose status has no "info" entry' };
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    return { fault: 'the verbose "info" entry is not JSON' };
  }
  const namespaces = rec(rec(rec(doc)?.runtimeSpec)?.linux)?.namespaces;
  if (!Array.isArray(namespaces)) return { fault: 'the verbose info has no runtimeSpec.linux.namespaces' };
  for (const n of namespaces.slice(0, 64)) {
    const r = rec(n);
    if (r?.type !== 'network') continue;
    if (r.path === undefined || r.path === '') return undefined;
    return typeof r.path === 'string' ? r.path : { fault: 'the network namespace path is not a string' };
  }
  return undefined;
}

/**
 * The tenants a pod asks for in its networks annotation: "blue", "blue, red", "ns/blue@net1", or the
 * JSON form [{"name": "blue", "namespace": "ns", "interface": "net1"}]. Only the names count (a
 * tenant is named once per host); the namespace qualifier and interface are ignored.
 */
export function networksOf(annotations: Readonly<Record<string, string>>): readonly string[] | { fault: string } {
  const raw = Object.prototype.hasOwnProperty.call(annotations, NETWORKS_ANNOTATION) ? annotations[NETWORKS_ANNOTATION]!.trim() : '';
  if (raw === '') return [];
  const names: string[] = [];
  if (raw.startsWith('[')) {
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      return { fault: `annotation ${NETWORKS_ANNOTATION} is not valid JSON` };
    }
    if (!Array.isArray(v)) return { fault: `annotation ${NETWORKS_ANNOTATION} is not a list` };
    for (const e of v) {
      const name = rec(e)?.name;
      if (typeof name !== 'string') return { fault: `annotation ${NETWORKS_ANNOTATION}: an entry has no "name"` };
      names.push(name);
    }
  } else {
    for (const part of raw.split(',')) {
      const p = part.trim();
      if (p === '') continue;
      const noIf = p.includes('@') ? p.slice(0, p.indexOf('@')) : p;
      names.push(noIf.includes('/') ? noIf.slice(noIf.lastIndexOf('/') + 1) : noIf);
    }
  }
  if (names.length > NETWORKS_LIMITS.entries) return { fault: `annotation ${NETWORKS_ANNOTATION} names more than ${NETWORKS_LIMITS.entries} networks` };
  for (const n of names) {
    if (n === '' || n.length > NETWORKS_LIMITS.name || CONTROL.test(n)) return { fault: `annotation ${NETWORKS_ANNOTATION} holds an empty, too long or malformed name` };
  }
  return [...new Set(names)];
}

export interface ParsePodOptions {
  /** The runtime's namespace path → the path the agent sees (the runtime's netns dir mounted elsewhere). */
  readonly mapPath?: (path: string) => string;
}

/** A verbose PodSandboxStatus answer (with the listing's item as a fallback for metadata) → a workload. */
export function parsePod(answer: PodSandboxStatusAnswer, item: PodSandboxItem | undefined, o: ParsePodOptions = {}): ParsedPod {
  const s = answer.status;
  const id = s?.id || item?.id || '';
  if (!SANDBOX_ID.test(id)) return { ok: false, reason: 'no valid sandbox id' };
  if (s?.fault !== undefined) return { ok: false, id, reason: s.fault };
  const meta = s?.metadata ?? item?.metadata;
  if (!meta) return { ok: false, id, reason: 'no pod metadata' };
  if (!K8S_NAMESPACE.test(meta.namespace)) return { ok: false, id, reason: 'the pod namespace is not a Kubernetes namespace name' };
  if (meta.name === '' || meta.name.includes('/') || CONTROL.test(meta.name)) return { ok: false, id, reason: 'the pod name is empty or holds "/" or control characters' };
  if (CONTROL.test(meta.uid)) return { ok: false, id, reason: 'the pod uid holds control characters' };
  const name = `${meta.namespace}/${meta.name}`;
  if (s?.networkMode === NAMESPACE_MODE_NODE) return { ok: false, id, reason: 'uses the host network' };
  const state = foldPodState(s?.state ?? item?.state ?? 1);
  const path = netnsPathOfInfo(answer.info);
  if (path === undefined) return { ok: false, id, reason: state === 'running' ? 'no network namespace (host network)' : 'no namespace (not ready)' };
  if (typeof path !== 'string') return { ok: false, id, reason: path.fault };
  if (!path.startsWith('/') || path.length > 4096 || CONTROL.test(path) || path.split('/').includes('..') || basename(path) === '') {
    return { ok: false, id, reason: 'the network namespace path is not a clean absolute path' };
  }
  const labels = s?.labels ?? item?.labels ?? Object.create(null);
  const annotations = s?.annotations ?? item?.annotations ?? Object.create(null);
  const networks = networksOf(annotations);
  return {
    ok: true,
    workload: {
      runtime: CRI_RUNTIME_NAME, id, name, labels, netnsPath: (o.mapPath ?? ((p: string) => p))(path),
      // The cluster's CNI made the pod's eth0 and default route: the tenant is a secondary interface.
      networkMode: 'pod', runtimeNetworked: true, state,
      k8sNamespace: meta.namespace, podUid: meta.uid, annotations,
      ...(Array.isArray(networks) ? { networks } : { networksFault: (networks as { fault: string }).fault }),
    },
  };
}
