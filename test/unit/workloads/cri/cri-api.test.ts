import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { GrpcCriApi } from '../../../../src/workloads/cri/cri-api.js';
import { ProtoWriter } from '../../../../src/workloads/cri/proto-wire.js';
import { RuntimeApiError } from '../../../../src/workloads/errors/runtime-api-error.js';

const raw = (b: Buffer): Buffer => b;

/** A real gRPC server on a unix socket serving a few RuntimeService methods of one API version (raw bytes). */
async function server(api: 'v1' | 'v1alpha2', methods: Record<string, (req: Buffer) => Buffer | Partial<grpc.StatusObject>>): Promise<{ socket: string; stop: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'nsvs-cri-api-'));
  const socket = join(dir, 'cri.sock');
  const s = new grpc.Server();
  for (const [name, f] of Object.entries(methods)) {
    s.register(`/runtime.${api}.RuntimeService/${name}`, (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const r = f(call.request);
      if (Buffer.isBuffer(r)) cb(null, r);
      else cb(r);
    }, raw, raw, 'unary');
  }
  await new Promise<void>((res, rej) => s.bindAsync(`unix:${socket}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? rej(err) : res())));
  return { socket, stop: async () => { s.forceShutdown(); await rm(dir, { recursive: true, force: true }); } };
}

describe('GrpcCriApi against a real gRPC server', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('falls back to runtime.v1alpha2, lists sandboxes there, and knows it has no event stream', async () => {
    const srv = await server('v1alpha2', {
      Version: () => new ProtoWriter().string(1, '0.1.0').string(2, 'old-runtime').string(3, '1.5').string(4, 'v1alpha2').finish(),
      ListPodSandbox: () => new ProtoWriter().message(1, new ProtoWriter().string(1, 'sb1').message(2, new ProtoWriter().string(1, 'web').string(3, 'team-a'))).finish(),
    });
    const api = new GrpcCriApi({ socketPath: srv.socket, timeoutMs: 3000 });
    cleanups.push(async () => api.close(), srv.stop);
    expect(await api.version()).toMatchObject({ api: 'v1alpha2', runtimeName: 'old-runtime' });
    expect((await api.listPodSandbox()).items).toMatchObject([{ id: 'sb1', state: 0, metadata: { name: 'web', namespace: 'team-a' } }]);
    const end = await new Promise<RuntimeApiError>((res) => api.openEvents(() => undefined, res));
    expect(end.kind).toBe('unimplemented');
  });

  it('an unknown sandbox is undefined; an undecodable answer is "malformed"; a missing method "unimplemented"', async () => {
    const srv = await server('v1', {
      Version: () => new ProtoWriter().string(2, 'containerd').finish(),
      PodSandboxStatus: (req) => (req.includes(Buffer.from('gone')) ? { code: grpc.status.NOT_FOUND, details: 'an error occurred when try to find sandbox' } : Buffer.from([0x0a, 0x05, 0x01])),
    });
    const api = new GrpcCriApi({ socketPath: srv.socket, timeoutMs: 3000 });
    cleanups.push(async () => api.close(), srv.stop);
    expect((await api.version()).api).toBe('v1');
    await expect(api.podSandboxStatus('x', true)).rejects.toMatchObject({ kind: 'malformed' });
    expect(await api.podSandboxStatus('gone', true)).toBeUndefined();
    await expect(api.listPodSandbox()).rejects.toMatchObject({ kind: 'unimplemented' });
  });

  it('no runtime on the socket: "unreachable" within the deadline', async () => {
    const api = new GrpcCriApi({ socketPath: join(tmpdir(), `nsvs-no-cri-${process.pid}.sock`), timeoutMs: 1000 });
    cleanups.push(async () => api.close());
    const err = await api.version().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeApiError);
    expect((err as RuntimeApiError).kind).toMatch(/unreachable|timeout/);
  });
});
