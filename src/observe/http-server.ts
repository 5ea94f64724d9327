import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { StatusReport } from './status-types.js';
import { HttpListenError } from './http-listen-error.js';

/** Default listen address: loopback only, so metrics are not exposed unless asked for. */
export const DEFAULT_HTTP_LISTEN = '127.0.0.1:9476';

export interface HealthReport {
  readonly ok: boolean;
  readonly checks: Record<string, boolean>;
}

export interface HttpServerOptions {
  /** host:port ("[::1]:9476" for IPv6; port 0 picks a free one). Default 127.0.0.1:9476. */
  readonly listen?: string;
  readonly metrics: Metrics;
  /** Liveness: process up, OVSDB connected, ... (503 when not ok). */
  readonly health: () => HealthReport;
  /** Readiness: initial sync done (503 until then). */
  readonly ready: () => boolean;
  readonly status: () => StatusReport;
  readonly logger?: Logger;
}

export interface HttpServerHandle {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Splits "host:port" / "[v6]:port" / "port"; throws HttpListenError on anything else. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):)?(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new HttpListenError(listen, 'expected host:port, [ipv6]:port or port');
  }
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

function send(res: ServerResponse, code: number, contentType: string, body: string, head: boolean): void {
  res.writeHead(code, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(head ? undefined : body);
}

function sendJson(res: ServerResponse, code: number, value: unknown, head: boolean): void {
  send(res, code, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`, head);
}

/**
 * The agent's one HTTP endpoint: Prometheus scrape, Kubernetes/systemd
 * probes and the /status document that `nsvswitch status` prints. Read-only;
 * every answer is computed from the callbacks at request time.
 */
export async function startHttpServer(opts: HttpServerOptions): Promise<HttpServerHandle> {
  const listen = opts.listen ?? DEFAULT_HTTP_LISTEN;
  const { host, port } = parseListen(listen);
  const log = opts.logger;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      sendJson(res, 405, { error: `method ${req.method ?? '?'} not allowed` }, false);
      return;
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    switch (path) {
      case '/metrics': {
        const body = await opts.metrics.registry.metrics();
        send(res, 200, opts.metrics.registry.contentType, body, head);
        return;
      }
      case '/healthz': {
        const h = opts.health();
        sendJson(res, h.ok ? 200 : 503, h, head);
        return;
      }
      case '/readyz': {
        const ready = opts.ready();
        sendJson(res, ready ? 200 : 503, { ready }, head);
        return;
      }
      case '/status':
        sendJson(res, 200, opts.status(), head);
        return;
      default:
        sendJson(res, 404, { error: `no such endpoint ${path}`, endpoints: ['/metrics', '/healthz', '/readyz', '/status'] }, head);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      log?.error({ path: req.url, error: message }, 'HTTP handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: message }, false);
      else res.destroy();
    });
  });
  // Probes and scrapes are short; do not let an idle client hold the agent's shutdown.
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 10_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(new HttpListenError(listen, err.message, { cause: err }));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => log?.error({ error: err.message }, 'HTTP server error'));
  const addr = server.address() as AddressInfo;
  log?.info({ address: addr.address, port: addr.port }, 'serving /metrics /healthz /readyz /status');

  return {
    address: addr.address,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
