import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Subscription } from 'rxjs';
import { dockerSource } from '../../../src/workloads/docker/docker-source.js';
import { HttpDockerApi, type DockerApi, type EventStream } from '../../../src/workloads/docker/docker-api.js';
import { RuntimeApiError } from '../../../src/workloads/errors/runtime-api-error.js';
import type { WorkloadSourceState } from '../../../src/workloads/types.js';
import { silentLogger } from '../../../src/observe/logger.js';

const id = (n: number): string => n.toString(16).padStart(64, 'a');

function container(n: number, name: string, o: { status?: string; key?: string; labels?: Record<string, string> } = {}): Record<string, unknown> {
  return {
    Id: id(n), Name: `/${name}`, Config: { Labels: o.labels ?? {} }, HostConfig: { NetworkMode: 'default' },
    State: { Status: o.status ?? 'running' }, NetworkSettings: { SandboxKey: o.key ?? `/run/docker/netns/sb${n}` },
  };
}

/** A scripted Engine: containers by id, one event stream, reachable or not; inspect can be held back. */
class FakeApi implements DockerApi {
  reachable = true;
  readonly containers = new Map<string, Record<string, unknown>>();
  onEvent: ((v: unknown) => void) | undefined;
  onEnd: ((e: RuntimeApiError) => void) | undefined;
  hold: Promise<void> | undefined;
  opens = 0;

  async getJson(path: string): Promise<unknown> {
    if (!this.reachable) throw new RuntimeApiError('docker', 'unreachable', path, 'ECONNREFUSED');
    if (path.startsWith('/containers/json')) return [...this.containers.values()].map((c) => ({ Id: c.Id }));
    await this.hold;
    const m = /^\/containers\/([0-9a-f]+)\/json$/.exec(path);
    return m ? this.containers.get(m[1]!) : undefined;
  }

  async openEvents(path: string, onEvent: (v: unknown) => void, onEnd: (e: RuntimeApiError) => void): Promise<EventStream> {
    this.opens++;
    if (!this.reachable) throw new RuntimeApiError('docker', 'unreachable', path, 'ECONNREFUSED');
    this.onEvent = onEvent;
    this.onEnd = onEnd;
    return { close: () => (this.onEvent = undefined) };
  }

  event(action: string, n: number): void {
    this.onEvent?.({ Type: 'container', Action: action, Actor: { ID: id(n), Attributes: { name: 'x' } } });
  }

  drop(): void {
    this.reachable = false;
    this.onEnd?.(new RuntimeApiError('docker', 'unreachable', '/events', 'connection closed'));
  }
}

async function until<T>(what: string, f: () => T | undefined, ms = 2000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('dockerSource (scripted Engine)', () => {
  let sub: Subscription | undefined;
  afterEach(() => sub?.unsubscribe());

  function start(api: FakeApi) {
    const states: WorkloadSourceState[] = [];
    const released: string[] = [];
    const src = dockerSource({ socketPath: '/nowhere', netnsDirs: ['/run/docker/netns'], logger: silentLogger(), api, retryMinMs: 10, retryMaxMs: 40 });
    sub = src.state$.subscribe((s) => states.push(s));
    sub.add(src.released$!.subscribe((p) => released.push(p)));
    const last = () => states[states.length - 1];
    return { states, released, last };
  }

  it('lists at connect, then follows events: a stop is seen at once (no inspect), a start is inspected, a destroy removes', async () => {
    const api = new FakeApi();
    api.containers.set(id(1), container(1, 'web1', { labels: { tenant: 'blue' } }));
    api.containers.set(id(2), container(2, 'old', { status: 'exited', key: '' }));
    const { last, released } = start(api);
    await until('synced', () => (last()?.synced ? true : undefined));
    expect(last()).toMatchObject({ runtime: 'docker', connected: true, synced: true });
    expect([...last()!.workloads.keys()]).toEqual(['/run/docker/netns/sb1']);

    api.hold = new Promise(() => undefined); // inspects never answer from here on
    api.event('die', 1);
    expect(last()!.workloads.get('/run/docker/netns/sb1')?.state).toBe('stopped');
    expect(released).toEqual(['/run/docker/netns/sb1']);
    api.event('destroy', 1);
    expect(last()!.workloads.size).toBe(0);

    api.hold = undefined;
    api.containers.set(id(3), container(3, 'web3'));
    api.event('start', 3);
    await until('web3 known', () => last()!.workloads.get('/run/docker/netns/sb3'));
    expect(last()!.workloads.get('/run/docker/netns/sb3')).toMatchObject({ name: 'web3', state: 'running' });
  });

  it('a late inspect never overwrites a newer event', async () => {
    const api = new FakeApi();
    const { last } = start(api);
    await until('synced', () => (last()?.synced ? true : undefined));
    let release!: () => void;
    api.hold = new Promise((r) => (release = r));
    api.containers.set(id(4), container(4, 'w4'));
    api.event('start', 4);
    api.event('destroy', 4);
    release();
    await new Promise((r) => setTimeout(r, 30));
    expect(last()!.workloads.size).toBe(0);
  });

  it('unreachable: says so, keeps what it knew, reconnects with backoff and lists again', async () => {
    const api = new FakeApi();
    api.reachable = false;
    const { last, states } = start(api);
    await until('first answer', () => last());
    expect(last()).toMatchObject({ connected: false, synced: false });
    expect(last()!.error).toContain('ECONNREFUSED');
    api.containers.set(id(5), container(5, 'w5'));
    api.reachable = true;
    await until('synced', () => (last()?.synced ? true : undefined));
    expect(api.opens).toBeGreaterThanOrEqual(2);

    api.drop();
    expect(last()).toMatchObject({ connected: false, synced: true });
    expect(last()!.workloads.size).toBe(1); // stale but kept: ports stay
    api.containers.delete(id(5));
    api.reachable = true;
    await until('resynced', () => (last()!.connected ? true : undefined));
    expect(last()!.workloads.size).toBe(0);
    expect(states.filter((s) => s.connected).length).toBeGreaterThanOrEqual(2);
  });

  it('events that arrive during a listing are applied after it', async () => {
    const api = new FakeApi();
    api.containers.set(id(6), container(6, 'w6'));
    let release!: () => void;
    api.hold = new Promise((r) => (release = r));
    const { last } = start(api);
    await until('stream open', () => api.onEvent);
    api.event('die', 6); // while the inspect of the listing is held
    api.hold = undefined;
    release();
    await until('synced', () => (last()?.synced ? true : undefined));
    expect(last()!.workloads.get('/run/docker/netns/sb6')?.state).toBe('stopped');
  });
});

describe('HttpDockerApi (a real HTTP server on a unix socket)', () => {
  let dir: string;
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server?.closeAllConnections();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
    dir = await mkdtemp(join(tmpdir(), 'nsvs-dockerapi-'));
    const sock = join(dir, 's.sock');
    server = createServer(handler);
    await new Promise<void>((r) => server!.listen(sock, r));
    return sock;
  }

  it('GET: JSON, 404 as undefined, size cap, deadline, non-JSON', async () => {
    const sock = await serve((req, res) => {
      if (req.url === '/ok') res.end('{"a":1}');
      else if (req.url === '/big') res.end('x'.repeat(5000));
      else if (req.url === '/slow') setTimeout(() => res.end('{}'), 500);
      else if (req.url === '/text') res.end('hello');
      else {
        res.statusCode = 404;
        res.end('{"message":"no such container"}');
      }
    });
    const api = new HttpDockerApi({ socketPath: sock, maxResponseBytes: 1000, requestTimeoutMs: 100 });
    expect(await api.getJson('/ok')).toEqual({ a: 1 });
    expect(await api.getJson('/gone')).toBeUndefined();
    await expect(api.getJson('/big')).rejects.toMatchObject({ kind: 'too-large' });
    await expect(api.getJson('/slow')).rejects.toMatchObject({ kind: 'timeout' });
    await expect(api.getJson('/text')).rejects.toMatchObject({ kind: 'malformed' });
    await expect(new HttpDockerApi({ socketPath: join(dir, 'none.sock') }).getJson('/ok')).rejects.toMatchObject({ kind: 'unreachable' });
  });

  it('events: newline-delimited JSON across chunks, an oversized event ends the stream', async () => {
    const sock = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"Type":"container","Act');
      res.write('ion":"start"}\n{"n":2}\n');
      if (req.url === '/events?big') res.write('y'.repeat(3000));
    });
    const api = new HttpDockerApi({ socketPath: sock, maxEventBytes: 1000 });
    const got: unknown[] = [];
    const s = await api.openEvents('/events', (v) => got.push(v), () => undefined);
    await until('two events', () => (got.length === 2 ? true : undefined));
    expect(got).toEqual([{ Type: 'container', Action: 'start' }, { n: 2 }]);
    s.close();
    let ended: RuntimeApiError | undefined;
    await api.openEvents('/events?big', () => undefined, (e) => (ended = e));
    await until('ended', () => ended);
    expect(ended!.kind).toBe('too-large');
  });
});
