import { afterEach, describe, expect, it } from 'vitest';
import type { Subscription } from 'rxjs';
import { criSource } from '../../../../src/workloads/cri/cri-source.js';
import type { CriApi, CriApiVersion, CriEventStream } from '../../../../src/workloads/cri/cri-api.js';
import type { ContainerEvent, PodSandboxItem, PodSandboxStatusAnswer, VersionAnswer } from '../../../../src/workloads/cri/cri-messages.js';
import { RuntimeApiError } from '../../../../src/workloads/errors/runtime-api-error.js';
import type { WorkloadSourceState } from '../../../../src/workloads/types.js';
import { silentLogger } from '../../../../src/observe/logger.js';

const rec = (o: Record<string, string> = {}): Record<string, string> => Object.assign(Object.create(null) as Record<string, string>, o);

/** A scripted CRI runtime: sandboxes by id, reachable or not, with or without an event stream. */
class FakeCri implements CriApi {
  reachable = true;
  events = false;
  readonly pods = new Map<string, { ns: string; name: string; state: number; labels?: Record<string, string> }>();
  statusCalls = 0;
  onEvent: ((e: ContainerEvent) => void) | undefined;

  private check(m: string): void {
    if (!this.reachable) throw new RuntimeApiError('cri', 'unreachable', m, 'connect ECONNREFUSED');
  }

  async version(): Promise<VersionAnswer & { api: CriApiVersion }> {
    this.check('Version');
    return { version: '0.1.0', runtimeName: 'fake', runtimeVersion: '1', runtimeApiVersion: 'v1', api: 'v1' };
  }

  async listPodSandbox(): Promise<{ items: PodSandboxItem[]; truncated: boolean }> {
    this.check('ListPodSandbox');
    return { items: [...this.pods].map(([id, p]) => ({ id, state: p.state, metadata: { name: p.name, namespace: p.ns, uid: `u-${id}`, attempt: 0 }, labels: rec(p.labels), annotations: rec() })), truncated: false };
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatusAnswer | undefined> {
    this.check('PodSandboxStatus');
    this.statusCalls++;
    const p = this.pods.get(id);
    if (!p) return undefined;
    return {
      status: { id, state: p.state, metadata: { name: p.name, namespace: p.ns, uid: `u-${id}`, attempt: 0 }, labels: rec(p.labels), annotations: rec() },
      info: rec({ info: JSON.stringify({ runtimeSpec: { linux: { namespaces: [{ type: 'network', path: `/var/run/netns/cni-${id}` }] } } }) }),
    };
  }

  openEvents(onEvent: (e: ContainerEvent) => void, onEnd: (err: RuntimeApiError) => void): CriEventStream {
    if (!this.events) {
      queueMicrotask(() => onEnd(new RuntimeApiError('cri', 'unimplemented', 'GetContainerEvents', 'not implemented')));
      return { close: () => undefined };
    }
    this.onEvent = onEvent;
    return { close: () => (this.onEvent = undefined) };
  }

  close(): void {}
}

async function until<T>(what: string, f: () => T | undefined | false, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('criSource', () => {
  let sub: Subscription | undefined;
  afterEach(() => sub?.unsubscribe());

  function start(api: FakeCri, extra: Partial<Parameters<typeof criSource>[0]> = {}) {
    const src = criSource({ socketPath: '/x.sock', netnsDirs: ['/host/netns'], logger: silentLogger(), api, pollMs: 20, retryMinMs: 10, retryMaxMs: 40, mapPath: (p) => `/host/netns/${p.split('/').pop()}`, ...extra });
    const states: WorkloadSourceState[] = [];
    const released: string[] = [];
    sub = src.state$.subscribe((s) => states.push(s));
    sub.add(src.released$!.subscribe((p) => released.push(p)));
    return { states, released, last: () => states[states.length - 1] };
  }

  it('lists pods (namespace/pod, mapped netns path), asks each sandbox once, and sees a stop at the next listing', async () => {
    const api = new FakeCri();
    api.pods.set('a1', { ns: 'team-a', name: 'web', state: 0, labels: { app: 'web' } });
    const s = start(api);
    const first = await until('synced', () => s.last()?.synced && s.last());
    expect(first.connected).toBe(true);
    expect(first.workloads.get('/host/netns/cni-a1')).toMatchObject({ runtime: 'cri', name: 'team-a/web', state: 'running', k8sNamespace: 'team-a' });
    await new Promise((r) => setTimeout(r, 100));
    expect(api.statusCalls).toBe(1); // unchanged sandboxes are not asked again
    api.pods.get('a1')!.state = 1;
    await until('stopped', () => s.last()?.workloads.get('/host/netns/cni-a1')?.state === 'stopped');
    expect(s.released).toEqual(['/host/netns/cni-a1']);
    api.pods.delete('a1');
    await until('removed', () => s.last()?.workloads.size === 0);
  });

  it('unreachable: keeps the last metadata, says so, reconnects with backoff and lists again', async () => {
    const api = new FakeCri();
    api.pods.set('a1', { ns: 'team-a', name: 'web', state: 0 });
    const s = start(api);
    await until('synced', () => s.last()?.synced);
    api.reachable = false;
    const down = await until('down', () => s.last()?.connected === false && s.last());
    expect(down).toMatchObject({ synced: true, error: expect.stringContaining('ECONNREFUSED') });
    expect(down.workloads.size).toBe(1);
    api.pods.set('b1', { ns: 'team-b', name: 'db', state: 0 });
    api.reachable = true;
    const up = await until('up again', () => s.last()?.connected && s.last());
    expect([...up.workloads.values()].map((w) => w.name).sort()).toEqual(['team-a/web', 'team-b/db']);
  });

  it('never connected: not synced, the error given', async () => {
    const api = new FakeCri();
    api.reachable = false;
    const s = start(api);
    const st = await until('first state', () => s.last());
    expect(st).toMatchObject({ runtime: 'cri', connected: false, synced: false });
  });

  it('with an event stream, an event lists at once (the period is only a safety net)', async () => {
    const api = new FakeCri();
    api.events = true;
    const s = start(api, { resyncMs: 60_000 });
    await until('synced', () => s.last()?.synced);
    api.pods.set('c1', { ns: 'team-c', name: 'x', state: 0 });
    api.onEvent!({ containerId: 'c1', type: 'created', sandboxId: 'c1' });
    await until('listed on the event', () => s.last()?.workloads.size === 1, 1000);
  });
});
