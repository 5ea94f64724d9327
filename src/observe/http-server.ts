import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { StatusReport } from './status-types.js';
import { HttpListenError } from './http-listen-error.js';
import { ConnectionCap } from './connection-cap.js';
import { LogThrottle } from './log-throttle.js';

/** Default listen address: loopback only, so metrics are not exposed unless asked for. */
export const DEFAULT_HTTP_LISTEN = '127.0.0.1:9476';
/** Open connections at most; the oldest idle one makes room for a newcomer. */
export const DEFAULT_HTTP_MAX_CONNECTIONS = 256;
/** A client must have sent its request headers within this time. */
export const DEFAULT_HTTP_HEADERS_TIMEOUT_MS = 5_000;
/** ... and its whole request within this time. */
export const DEFAULT_HTTP_REQUEST_TIMEOUT_MS = 10_000;
/** A connection with no traffic at all for this long is closed (also one that never sent a byte). */
export const DEFAULT_HTTP_IDLE_TIMEOUT_MS = 10_000;
/** Idle keep-alive connections are closed after this long. */
export const DEFAULT_HTTP_KEEPALIVE_TIMEOUT_MS = 5_000;

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
  /** Cap on open connections (default DEFAULT_HTTP_MAX_CONNECTIONS). */
  readonly maxConnections?: number;
  /** Timeouts; defaults DEFAULT_HTTP_*_TIMEOUT_MS. */
  readonly headersTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
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

/**
 * The path of a request target, or undefined when it is malformed: not
 * origin-form ("/..."), or with percent escapes that do not decode to UTF-8,
 * or that decode to control characters. The path is matched as sent (no
 * normalisation): only our four exact paths mean anything.
 */
export function requestPath(target: string | undefined): string | undefined {
  if (target === undefined || !target.startsWith('/')) return undefined;
  const end = target.search(/[?#]/);
  const path = end < 0 ? target : target.slice(0, end);
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(decoded) ? undefined : path;
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
    const path = requestPath(req.url);
    if (path === undefined) {
      // Junk from a client is the client's problem: an answer, no error log.
      sendJson(res, 400, { error: 'malformed request target' }, head);
      return;
    }
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
        sendJson(res, 404, { error: `no such endpoint ${path.slice(0, 200)}`, endpoints: ['/metrics', '/healthz', '/readyz', '/status'] }, head);
    }
  };

  const cap = new ConnectionCap(opts.maxConnections ?? DEFAULT_HTTP_MAX_CONNECTIONS);
  const capLog = new LogThrottle(10_000, 100);
  const headersTimeout = opts.headersTimeoutMs ?? DEFAULT_HTTP_HEADERS_TIMEOUT_MS;
  const requestTimeout = Math.max(headersTimeout, opts.requestTimeoutMs ?? DEFAULT_HTTP_REQUEST_TIMEOUT_MS);
  const server = createServer({
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: DEFAULT_HTTP_KEEPALIVE_TIMEOUT_MS,
    // How often headersTimeout/requestTimeout are checked (Node's default is 30 s).
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(headersTimeout / 2))),
  }, (req, res) => {
    cap.busy(req.socket, res);
    handle(req, res).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      log?.error({ path: req.url, error: message }, 'HTTP handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: message }, false);
      else res.destroy();
    });
  });
  // Probes and scrapes are short: a socket with no traffic is closed (even one that never sent a byte),
  // and at most `cap.max` are open at once, so a flood of idle connections cannot use up the agent's descriptors.
  server.timeout = opts.idleTimeoutMs ?? DEFAULT_HTTP_IDLE_TIMEOUT_MS;
  server.on('connection', (socket: Socket) => {
    const before = cap.evicted + cap.refused;
    cap.admit(socket);
    if (cap.evicted + cap.refused > before) {
      const t = capLog.hit('cap');
      if (t.log) log?.warn({ listen, maxConnections: cap.max, evicted: cap.evicted, refused: cap.refused }, 'HTTP connection cap reached: closing idle connections');
    }
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(new HttpListenError(listen, err.message, { cause: err }));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => {
    // Accept errors (EMFILE under a flood) repeat per connection attempt: one line per window, with a count.
    const t = capLog.hit(`error:${(err as NodeJS.ErrnoException).code ?? err.message}`);
    if (t.log) log?.error({ listen, error: err.message, alsoFailed: t.suppressed }, 'HTTP server error');
  });
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
