// The CRI messages nsvswitch sends and reads, encoded and decoded by hand (proto-wire.ts). Field
// numbers are those of the Kubernetes CRI API, runtime.v1 (kubernetes/cri-api,
// pkg/apis/runtime/v1/api.proto: VersionRequest/Response, PodSandboxMetadata, PodSandboxConfig,
// RunPodSandbox/StopPodSandbox/RemovePodSandbox, PodSandboxStatusRequest/Response, PodSandbox,
// ListPodSandboxRequest/Response, GetEventsRequest, ContainerEventResponse); runtime.v1alpha2 (what
// older runtimes serve) numbers these messages the same. Answers are untrusted: every string, map and
// list is bounded, and a pod beyond a bound is reported, never half-read. Pure.
import { ProtoError, ProtoWriter, readFields, type ProtoField } from './proto-wire.js';

/** Bounds on one pod sandbox as the runtime describes it. */
export const CRI_LIMITS = Object.freeze({
  id: 128, podName: 253, podNamespace: 253, uid: 128,
  labels: 256, labelKey: 317, labelValue: 4096,
  annotations: 512, annotationKey: 317, annotationValue: 65_536,
  /** The verbose info map: entries, and bytes of its "info" JSON (the runtime spec is tens of KiB). */
  infoEntries: 32, infoValue: 4 * 1024 * 1024,
  /** Pod sandboxes read from one listing. */
  pods: 10_000,
});

/** SANDBOX_READY = 0, SANDBOX_NOTREADY = 1 (PodSandboxState). */
export const SANDBOX_READY = 0;
/** NamespaceMode: POD = 0, CONTAINER = 1, NODE = 2, TARGET = 3. */
export const NAMESPACE_MODE_NODE = 2;
/** ContainerEventType: CREATED 0, STARTED 1, STOPPED 2, DELETED 3. */
export const CONTAINER_EVENT_TYPES = ['created', 'started', 'stopped', 'deleted'] as const;

/** A value out of bounds: the pod it belongs to is reported and not used. */
export class CriBoundError extends Error {}

export interface PodSandboxMetadata {
  readonly name: string;
  readonly uid: string;
  readonly namespace: string;
  readonly attempt: number;
}

/** ListPodSandboxResponse.items[] (PodSandbox), or why one could not be read. */
export interface PodSandboxItem {
  readonly id: string;
  readonly metadata?: PodSandboxMetadata;
  /** 0 ready, 1 not ready (anything else is read as not ready). */
  readonly state: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** Set when the item broke a bound (its id, if read, is kept so it is reported once). */
  readonly fault?: string;
}

/** PodSandboxStatusResponse with what nsvswitch reads of it. */
export interface PodSandboxStatusAnswer {
  readonly status?: PodSandboxItem & { readonly networkMode?: number };
  /** The verbose info map (containerd: key "info", a JSON document). */
  readonly info: Readonly<Record<string, string>>;
}

export interface ContainerEvent {
  readonly containerId: string;
  readonly type: (typeof CONTAINER_EVENT_TYPES)[number] | 'unknown';
  /** The sandbox the event is about, when the runtime says. */
  readonly sandboxId?: string;
}

export interface VersionAnswer {
  readonly version: string;
  readonly runtimeName: string;
  readonly runtimeVersion: string;
  readonly runtimeApiVersion: string;
}

function str(f: ProtoField, max: number, what: string): string {
  if (f.wire !== 2) throw new ProtoError(`${what}: not a string`);
  if (f.b.length > max * 4) throw new CriBoundError(`${what} is longer than ${max} characters`);
  const s = f.b.toString('utf8');
  if (s.length > max) throw new CriBoundError(`${what} is longer than ${max} characters`);
  return s;
}

function num(f: ProtoField, what: string): number {
  if (f.wire !== 0) throw new ProtoError(`${what}: not a varint`);
  return f.n;
}

function sub(f: ProtoField, what: string): Buffer {
  if (f.wire !== 2) throw new ProtoError(`${what}: not a message`);
  return f.b;
}

/** A null-prototype record: "__proto__" is a key like any other. */
function own(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

/** One map<string, string> entry into `into`, under the map's bounds. */
function mapEntry(f: ProtoField, into: Record<string, string>, b: { entries: number; key: number; value: number }, what: string, count: { n: number }): void {
  if (++count.n > b.entries) throw new CriBoundError(`more than ${b.entries} ${what}`);
  let k = '';
  let v = '';
  for (const e of readFields(sub(f, what))) {
    if (e.no === 1) k = str(e, b.key, `a key of ${what}`);
    else if (e.no === 2) v = str(e, b.value, `the value of ${what} ${JSON.stringify(k.slice(0, 64))}`);
  }
  Object.defineProperty(into, k, { value: v, enumerable: true, configurable: true });
}

function decodeMetadata(buf: Buffer): PodSandboxMetadata {
  let name = '';
  let uid = '';
  let namespace = '';
  let attempt = 0;
  for (const f of readFields(buf)) {
    if (f.no === 1) name = str(f, CRI_LIMITS.podName, 'metadata.name');
    else if (f.no === 2) uid = str(f, CRI_LIMITS.uid, 'metadata.uid');
    else if (f.no === 3) namespace = str(f, CRI_LIMITS.podNamespace, 'metadata.namespace');
    else if (f.no === 4) attempt = num(f, 'metadata.attempt');
  }
  return { name, uid, namespace, attempt };
}

const LABELS = { entries: CRI_LIMITS.labels, key: CRI_LIMITS.labelKey, value: CRI_LIMITS.labelValue };
const ANNOTATIONS = { entries: CRI_LIMITS.annotations, key: CRI_LIMITS.annotationKey, value: CRI_LIMITS.annotationValue };

/**
 * PodSandbox (list item) and PodSandboxStatus share id = 1, metadata = 2, state = 3; labels and
 * annotations are 5/6 in PodSandbox and 7/8 in PodSandboxStatus (whose 6 is `linux`).
 */
function decodeSandbox(buf: Buffer, labelsNo: number, annotationsNo: number, linuxNo: number | undefined): PodSandboxItem & { networkMode?: number } {
  let id = '';
  let metadata: PodSandboxMetadata | undefined;
  // proto3 leaves defaults out: a missing state is 0, SANDBOX_READY.
  let state = SANDBOX_READY;
  let networkMode: number | undefined;
  const labels = own();
  const annotations = own();
  const nl = { n: 0 };
  const na = { n: 0 };
  try {
    for (const f of readFields(buf)) {
      if (f.no === 1) id = str(f, CRI_LIMITS.id, 'id');
      else if (f.no === 2) metadata = decodeMetadata(sub(f, 'metadata'));
      else if (f.no === 3) state = num(f, 'state');
      else if (f.no === labelsNo) mapEntry(f, labels, LABELS, 'labels', nl);
      else if (f.no === annotationsNo) mapEntry(f, annotations, ANNOTATIONS, 'annotations', na);
      else if (f.no === linuxNo) networkMode = decodeNetworkMode(sub(f, 'linux'));
    }
  } catch (err) {
    if (!(err instanceof CriBoundError)) throw err;
    return { id, state, labels: own(), annotations: own(), fault: err.message };
  }
  return { id, ...(metadata ? { metadata } : {}), state, labels, annotations, ...(networkMode !== undefined ? { networkMode } : {}) };
}

/** LinuxPodSandboxStatus.namespaces (1) → Namespace.options (2) → NamespaceOption.network (1). */
function decodeNetworkMode(linux: Buffer): number | undefined {
  let mode: number | undefined;
  for (const f of readFields(linux)) {
    if (f.no !== 1) continue;
    for (const g of readFields(sub(f, 'linux.namespaces'))) {
      if (g.no !== 2) continue;
      mode = 0;
      for (const h of readFields(sub(g, 'namespaces.options'))) if (h.no === 1) mode = num(h, 'options.network');
    }
  }
  return mode;
}

/** ListPodSandboxResponse: items = 1. Items past the limit are counted, not read. */
export function decodeListPodSandbox(buf: Buffer, max: number = CRI_LIMITS.pods): { items: PodSandboxItem[]; truncated: boolean } {
  const items: PodSandboxItem[] = [];
  let truncated = false;
  for (const f of readFields(buf)) {
    if (f.no !== 1) continue;
    if (items.length >= max) {
      truncated = true;
      continue;
    }
    items.push(decodeSandbox(sub(f, 'items'), 5, 6, undefined));
  }
  return { items, truncated };
}

/** PodSandboxStatusResponse: status = 1, info = 2. */
export function decodePodSandboxStatus(buf: Buffer): PodSandboxStatusAnswer {
  let status: PodSandboxStatusAnswer['status'];
  const info = own();
  const ni = { n: 0 };
  for (const f of readFields(buf)) {
    if (f.no === 1) status = decodeSandbox(sub(f, 'status'), 7, 8, 6);
    else if (f.no === 2) {
      try {
        mapEntry(f, info, { entries: CRI_LIMITS.infoEntries, key: 256, value: CRI_LIMITS.infoValue }, 'info', ni);
      } catch (err) {
        if (!(err instanceof CriBoundError)) throw err;
        return { ...(status ? { status } : {}), info: own() };
      }
    }
  }
  return { ...(status ? { status } : {}), info };
}

/** ContainerEventResponse: container_id = 1, container_event_type = 2, pod_sandbox_status = 4 (its id = 1). */
export function decodeContainerEvent(buf: Buffer): ContainerEvent {
  let containerId = '';
  let type: ContainerEvent['type'] = 'unknown';
  let sandboxId: string | undefined;
  for (const f of readFields(buf)) {
    if (f.no === 1) containerId = str(f, CRI_LIMITS.id, 'container_id');
    else if (f.no === 2) type = CONTAINER_EVENT_TYPES[num(f, 'container_event_type')] ?? 'unknown';
    else if (f.no === 4) {
      for (const g of readFields(sub(f, 'pod_sandbox_status'))) if (g.no === 1) sandboxId = str(g, CRI_LIMITS.id, 'pod_sandbox_status.id');
    }
  }
  return { containerId, type, ...(sandboxId !== undefined ? { sandboxId } : {}) };
}

export function decodeVersion(buf: Buffer): VersionAnswer {
  const v = { version: '', runtimeName: '', runtimeVersion: '', runtimeApiVersion: '' };
  for (const f of readFields(buf)) {
    if (f.no === 1) v.version = str(f, 64, 'version');
    else if (f.no === 2) v.runtimeName = str(f, 64, 'runtime_name');
    else if (f.no === 3) v.runtimeVersion = str(f, 64, 'runtime_version');
    else if (f.no === 4) v.runtimeApiVersion = str(f, 64, 'runtime_api_version');
  }
  return v;
}

/** RunPodSandboxResponse: pod_sandbox_id = 1. */
export function decodeRunPodSandbox(buf: Buffer): string {
  for (const f of readFields(buf)) if (f.no === 1) return str(f, CRI_LIMITS.id, 'pod_sandbox_id');
  throw new ProtoError('RunPodSandboxResponse without pod_sandbox_id');
}

export const encodeVersion = (version: string): Buffer => new ProtoWriter().string(1, version).finish();
/** An empty filter: every sandbox. */
export const encodeListPodSandbox = (): Buffer => Buffer.alloc(0);
export const encodePodSandboxStatus = (id: string, verbose: boolean): Buffer => new ProtoWriter().string(1, id).uint(2, verbose).finish();
export const encodeGetEvents = (): Buffer => Buffer.alloc(0);
/** StopPodSandboxRequest and RemovePodSandboxRequest: pod_sandbox_id = 1. */
export const encodeSandboxId = (id: string): Buffer => new ProtoWriter().string(1, id).finish();

/** What a kubelet puts in a PodSandboxConfig, the parts tests and benchmarks use. */
export interface PodSandboxSpec {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly attempt?: number;
  readonly hostname?: string;
  readonly logDirectory?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly cgroupParent?: string;
}

/**
 * RunPodSandboxRequest: config = 1 (PodSandboxConfig: metadata 1, hostname 2, log_directory 3,
 * labels 6, annotations 7, linux 8 (cgroup_parent 1)), runtime_handler = 2.
 */
export function encodeRunPodSandbox(p: PodSandboxSpec, runtimeHandler = ''): Buffer {
  const meta = new ProtoWriter().string(1, p.name).string(2, p.uid).string(3, p.namespace).uint(4, p.attempt ?? 0);
  const linux = new ProtoWriter().string(1, p.cgroupParent);
  const config = new ProtoWriter()
    .message(1, meta)
    .string(2, p.hostname ?? p.name)
    .string(3, p.logDirectory)
    .map(6, p.labels)
    .map(7, p.annotations)
    .message(8, linux);
  return new ProtoWriter().message(1, config).string(2, runtimeHandler).finish();
}
