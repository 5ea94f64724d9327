// The CRI RuntimeService over the runtime's unix socket, with @grpc/grpc-js for HTTP/2 and gRPC
// framing and our own codec for the few messages (cri-messages.ts). The API version is found once per
// client: runtime.v1, else runtime.v1alpha2 (containerd 1.6 serves both; older runtimes only the
// second). Every answer is bounded (bytes by the channel, fields by the codec) and every call has a
// deadline.
import { createRequire } from 'node:module';
import type * as Grpc from '@grpc/grpc-js';
import { RuntimeApiError } from '../errors/runtime-api-error.js';
import {
  decodeContainerEvent, decodeListPodSandbox, decodePodSandboxStatus, decodeRunPodSandbox, decodeVersion,
  encodeGetEvents, encodeListPodSandbox, encodePodSandboxStatus, encodeRunPodSandbox, encodeSandboxId, encodeVersion,
  type ContainerEvent, type PodSandboxItem, type PodSandboxSpec, type PodSandboxStatusAnswer, type VersionAnswer,
} from './cri-messages.js';

const requireCjs = createRequire(import.meta.url);
let grpcModule: typeof Grpc | undefined;
/** @grpc/grpc-js, loaded on first use: an agent without a CRI source never pays its memory (about 14 MiB resident). */
function grpc(): typeof Grpc {
  return (grpcModule ??= requireCjs('@grpc/grpc-js') as typeof Grpc);
}

export const CRI_RUNTIME = 'cri';
/** CRI API packages tried in this order. */
export const CRI_API_VERSIONS = ['v1', 'v1alpha2'] as const;
export type CriApiVersion = (typeof CRI_API_VERSIONS)[number];

/** Largest answer accepted (a listing of 10,000 pods with labels, or one verbose status). */
export const CRI_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
export const CRI_CALL_TIMEOUT_MS = 10_000;

export interface CriEventStream {
  close(): void;
}

/** What the source needs of the runtime (tests inject fakes). */
export interface CriApi {
  /** Finds the API version the runtime serves (and remembers it). */
  version(): Promise<VersionAnswer & { readonly api: CriApiVersion }>;
  listPodSandbox(): Promise<{ items: PodSandboxItem[]; truncated: boolean }>;
  /** undefined: no such sandbox (any more). */
  podSandboxStatus(id: string, verbose: boolean): Promise<PodSandboxStatusAnswer | undefined>;
  /** GetContainerEvents (runtime.v1 only); `onEnd` gets a RuntimeApiError of kind 'unimplemented' where the runtime lacks it. */
  openEvents(onEvent: (e: ContainerEvent) => void, onEnd: (err: RuntimeApiError) => void): CriEventStream;
  close(): void;
}

export interface GrpcCriApiOptions {
  readonly socketPath: string;
  readonly timeoutMs?: number;
}

function kindOf(code: number | undefined): RuntimeApiError['kind'] {
  switch (code) {
    case grpc().status.UNAVAILABLE: return 'unreachable';
    case grpc().status.DEADLINE_EXCEEDED: return 'timeout';
    case grpc().status.RESOURCE_EXHAUSTED: return 'too-large';
    case grpc().status.UNIMPLEMENTED: return 'unimplemented';
    case grpc().status.INTERNAL: return 'malformed';
    default: return 'status';
  }
}

function apiError(method: string, err: unknown): RuntimeApiError {
  if (err instanceof RuntimeApiError) return err;
  const e = err as Partial<Grpc.ServiceError>;
  const detail = typeof e.details === 'string' && e.details !== '' ? e.details : err instanceof Error ? err.message : String(err);
  return new RuntimeApiError(CRI_RUNTIME, kindOf(e.code), method, detail.slice(0, 300), { cause: err });
}

const identity = (b: Buffer): Buffer => b;

/** The RuntimeService of a CRI runtime on a unix socket. */
export class GrpcCriApi implements CriApi {
  private readonly client: Grpc.Client;
  private api: CriApiVersion | undefined;

  constructor(private readonly o: GrpcCriApiOptions) {
    const g = grpc();
    this.client = new g.Client(`unix:${o.socketPath}`, g.credentials.createInsecure(), {
      'grpc.max_receive_message_length': CRI_MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': 1024 * 1024,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2000,
      'grpc.enable_retries': 0,
    });
  }

  private unary<T>(method: string, req: Buffer, decode: (b: Buffer) => T, o: { api?: CriApiVersion; timeoutMs?: number } = {}): Promise<T> {
    const path = `/runtime.${o.api ?? this.api ?? 'v1'}.RuntimeService/${method}`;
    const deadline = Date.now() + (o.timeoutMs ?? this.o.timeoutMs ?? CRI_CALL_TIMEOUT_MS);
    return new Promise<T>((resolve, reject) => {
      this.client.makeUnaryRequest(path, identity, identity, req, new (grpc().Metadata)(), { deadline }, (err, res) => {
        if (err) return reject(apiError(method, err));
        try {
          resolve(decode(res ?? Buffer.alloc(0)));
        } catch (e) {
          reject(new RuntimeApiError(CRI_RUNTIME, 'malformed', method, `undecodable answer: ${(e as Error).message}`, { cause: e }));
        }
      });
    });
  }

  async version(): Promise<VersionAnswer & { api: CriApiVersion }> {
    let last: RuntimeApiError | undefined;
    for (const api of this.api ? [this.api] : CRI_API_VERSIONS) {
      try {
        const v = await this.unary('Version', encodeVersion('v1'), decodeVersion, { api });
        this.api = api;
        return { ...v, api };
      } catch (err) {
        last = apiError('Version', err);
        if (last.kind !== 'unimplemented') throw last;
      }
    }
    throw last ?? new RuntimeApiError(CRI_RUNTIME, 'unimplemented', 'Version', 'no CRI API version served');
  }

  listPodSandbox(): Promise<{ items: PodSandboxItem[]; truncated: boolean }> {
    return this.unary('ListPodSandbox', encodeListPodSandbox(), (b) => decodeListPodSandbox(b));
  }

  async podSandboxStatus(id: string, verbose: boolean): Promise<PodSandboxStatusAnswer | undefined> {
    try {
      return await this.unary('PodSandboxStatus', encodePodSandboxStatus(id, verbose), decodePodSandboxStatus);
    } catch (err) {
      if (((err as RuntimeApiError).cause as Partial<Grpc.ServiceError> | undefined)?.code === grpc().status.NOT_FOUND) return undefined;
      throw err;
    }
  }

  openEvents(onEvent: (e: ContainerEvent) => void, onEnd: (err: RuntimeApiError) => void): CriEventStream {
    if (this.api === 'v1alpha2') {
      queueMicrotask(() => onEnd(new RuntimeApiError(CRI_RUNTIME, 'unimplemented', 'GetContainerEvents', 'not in runtime.v1alpha2')));
      return { close: () => undefined };
    }
    let ended = false;
    const end = (err: RuntimeApiError): void => {
      if (ended) return;
      ended = true;
      onEnd(err);
    };
    const call = this.client.makeServerStreamRequest('/runtime.v1.RuntimeService/GetContainerEvents', identity, identity, encodeGetEvents(), new (grpc().Metadata)(), {});
    call.on('data', (b: Buffer) => {
      try {
        onEvent(decodeContainerEvent(b));
      } catch (e) {
        end(new RuntimeApiError(CRI_RUNTIME, 'malformed', 'GetContainerEvents', `undecodable event: ${(e as Error).message}`));
        call.cancel();
      }
    });
    call.on('error', (err) => end(apiError('GetContainerEvents', err)));
    call.on('end', () => end(new RuntimeApiError(CRI_RUNTIME, 'unreachable', 'GetContainerEvents', 'event stream ended')));
    return {
      close: () => {
        ended = true;
        call.cancel();
      },
    };
  }

  /** RunPodSandbox as the kubelet calls it (tests and benchmarks drive the runtime with it). */
  runPodSandbox(spec: PodSandboxSpec, runtimeHandler = '', timeoutMs = 120_000): Promise<string> {
    return this.unary('RunPodSandbox', encodeRunPodSandbox(spec, runtimeHandler), decodeRunPodSandbox, { timeoutMs });
  }

  stopPodSandbox(id: string, timeoutMs = 60_000): Promise<void> {
    return this.unary('StopPodSandbox', encodeSandboxId(id), () => undefined, { timeoutMs });
  }

  removePodSandbox(id: string, timeoutMs = 60_000): Promise<void> {
    return this.unary('RemovePodSandbox', encodeSandboxId(id), () => undefined, { timeoutMs });
  }

  close(): void {
    this.client.close();
  }
}
