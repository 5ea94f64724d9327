import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer } from 'node:net';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import type { Logger } from '../../../src/observe/logger.js';
import { Metrics } from '../../../src/observe/metrics.js';
import { startHttpServer, type HttpServerHandle } from '../../../src/observe/http-server.js';
import { HttpListenError } from '../../../src/observe/http-listen-error.js';
import { run } from '../../../src/exec/run.js';
import type { StatusReport } from '../../../src/observe/status-types.js';
import { sampleStatus } from '../../unit/observe/fixtures.js';

/** Sends one raw request (no URL normalisation, as fetch would do) and resolves with the status line's code. */
function rawStatus(port: number, request: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port });
    let data = '';
    sock.on('data', (d) => (data += d.toString('latin1')));
    sock.on('error', reject);
    sock.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
    sock.write(request);
    sock.end();
  });
}

/** Parses the text exposition into sample lines name{labels} → value (and checks each line's syntax). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${JSON.stringify(line)}`);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

describe('HTTP endpoint (real server, real Metrics)', () => {
  const metrics = new Metrics();
  let healthy = true;
  let ready = false;
  let status: () => StatusReport = () => sampleStatus();
  let srv: HttpServerHandle;
  let base: string;

  beforeAll(async () => {
    srv = await startHttpServer({
      listen: '127.0.0.1:0',
      metrics,
      health: () => ({ ok: healthy, checks: { ovsdb: healthy, process: true } }),
      ready: () => ready,
      status: () => status(),
    });
    base = `http://127.0.0.1:${srv.port}`;
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('serves /metrics in the registry content type, with the values set', async () => {
    metrics.ports.set({ tenant: 'blue', state: 'ready' }, 2);
    metrics.namespacesSeen.inc({ event: 'added' }, 3);
    metrics.attachLatency.observe(0.02);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(metrics.registry.contentType);
    const s = samples(await res.text());
    expect(s.get('nsvswitch_ports{tenant="blue",state="ready"}')).toBe(2);
    expect(s.get('nsvswitch_namespace_events_total{event="added"}')).toBe(3);
    expect(s.get('nsvswitch_attach_latency_seconds_count')).toBe(1);
    expect(s.get('nsvswitch_attach_latency_seconds_bucket{le="0.025"}')).toBe(1);
    expect(s.get('nsvswitch_attach_latency_seconds_bucket{le="0.01"}')).toBe(0);
  });

  it('a real scrape passes promtool check metrics', async () => {
    metrics.flows.set({ tenant: 'blue', table: '0' }, 7);
    metrics.ovsdbTransactionDuration.observe({ kind: 'write' }, 0.003);
    metrics.reconcileErrors.inc({ reason: 'namespace-gone' });
    const body = await (await fetch(`${base}/metrics`)).text();
    // promtool exits non-zero and names the metric on any problem (lint included).
    const res = await run('promtool', ['check', 'metrics'], { input: body, okExitCodes: [1, 3] });
    expect(`${res.stdout}${res.stderr}`.trim()).toBe('');
    expect(res.exitCode).toBe(0);
  });

  it('/healthz flips between 200 and 503 with the health callback', async () => {
    healthy = true;
    let res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, checks: { ovsdb: true, process: true } });
    healthy = false;
    res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ok: false, checks: { ovsdb: false, process: true } });
    healthy = true;
  });

  it('/readyz is 503 until ready, then 200', async () => {
    ready = false;
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    ready = true;
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ready: true });
  });

  it('/status answers the StatusReport as JSON, computed per request', async () => {
    const res = await fetch(`${base}/status?x=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(sampleStatus());
    status = () => sampleStatus({ bridge: 'br-other' });
    expect(((await (await fetch(`${base}/status`)).json()) as StatusReport).bridge).toBe('br-other');
    status = () => sampleStatus();
  });

  it('answers HEAD without a body, 404 for unknown paths, 405 for other methods', async () => {
    const head = await fetch(`${base}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const missing = await fetch(`${base}/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { endpoints: string[] }).endpoints).toContain('/metrics');
    const post = await fetch(`${base}/status`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers 500 with the reason when a callback throws, and keeps serving', async () => {
    status = () => {
      throw new Error('replica not loaded');
    };
    const res = await fetch(`${base}/status`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'replica not loaded' });
    status = () => sampleStatus();
    expect((await fetch(`${base}/status`)).status).toBe(200);
  });

  it('fails with HttpListenError naming the address when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const err = await startHttpServer({ listen: `127.0.0.1:${port}`, metrics, health: () => ({ ok: true, checks: {} }), ready: () => true, status }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HttpListenError);
      expect((err as Error).message).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('close() frees the port, also with a keep-alive client connected', async () => {
    const other = await startHttpServer({ listen: '127.0.0.1:0', metrics, health: () => ({ ok: true, checks: {} }), ready: () => true, status });
    expect((await fetch(`http://127.0.0.1:${other.port}/readyz`)).status).toBe(200);
    await other.close();
    await expect(fetch(`http://127.0.0.1:${other.port}/readyz`)).rejects.toThrow();
  });

  it('answers 400 to malformed request targets without an error log, and keeps serving', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) })) as unknown as Logger;
    const other = await startHttpServer({ listen: '127.0.0.1:0', metrics, logger, health: () => ({ ok: true, checks: {} }), ready: () => true, status });
    try {
      for (const target of ['//%00%ff/../status', '/%ff', '/status%00', '/%zz', 'status']) {
        expect(await rawStatus(other.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), target).toBe(400);
      }
      // Paths are matched as sent: no authority or dot-segment games reach an endpoint.
      for (const target of ['//status', '//evil.example/status', '/x/../status']) {
        expect(await rawStatus(other.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), target).toBe(404);
      }
      expect(await rawStatus(other.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toBe(200);
      expect(lines.filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
