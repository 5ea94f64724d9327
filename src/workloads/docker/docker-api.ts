// The Docker Engine API over its unix socket: plain HTTP/1.1 with node:http (no client library; the
// three endpoints used are stable across Engine versions, unversioned paths take the daemon's own API
// version). Every answer is untrusted: bounded in size and time, parsed as JSON and nothing more.
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { RuntimeApiError } from '../errors/runtime-api-error.js';

export interface DockerApiOptions {
  /** Path of the Engine's unix socket (e.g. /run/docker.sock). */
  readonly socketPath: string;
  /** Whole-request deadline of a GET (default 5 s). */
  readonly requestTimeoutMs?: number;
  /** Largest body accepted from a GET (default 16 MiB: a listing of thousands of containers). */
  readonly maxResponseBytes?: number;
  /** Largest single event line accepted on the event stream (default 256 KiB). */
  readonly maxEventBytes?: number;
}

/** An open event stream: close() ends it (no callback after that). */
export interface EventStream {
  close(): void;
}

/** The calls the Docker source makes: an interface, so the source is unit-tested with a fake. */
export interface DockerApi {
  /** GET path → parsed JSON; undefined on 404 (a container gone meanwhile). */
  getJson(path: string): Promise<unknown>;
  /**
   * Opens GET path as a stream of newline-delimited JSON values. Resolves once the daemon answered
   * (from then on no event is missed); onEvent per value, onEnd once when it ends or fails.
   */
  openEvents(path: string, onEvent: (v: unknown) => void, onEnd: (err: RuntimeApiError) => void): Promise<EventStream>;
}

const RUNTIME = 'docker';

function pathOnly(path: string): string {
  return path.split('?')[0] ?? path;
}

function failure(path: string, err: unknown): RuntimeApiError {
  if (err instanceof RuntimeApiError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return new RuntimeApiError(RUNTIME, 'unreachable', pathOnly(path), code ?? (err instanceof Error ? err.message : String(err)), { cause: err });
}

export class HttpDockerApi implements DockerApi {
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly maxEventBytes: number;

  constructor(private readonly o: DockerApiOptions) {
    this.timeoutMs = o.requestTimeoutMs ?? 5_000;
    this.maxBytes = o.maxResponseBytes ?? 16 * 1024 * 1024;
    this.maxEventBytes = o.maxEventBytes ?? 256 * 1024;
  }

  private open(path: string): { req: ClientRequest; res: Promise<IncomingMessage> } {
    let req!: ClientRequest;
    const res = new Promise<IncomingMessage>((resolve, reject) => {
      req = request({ socketPath: this.o.socketPath, path, method: 'GET', headers: { host: 'docker', accept: 'application/json' } }, resolve);
      req.once('error', reject);
      req.end();
    });
    return { req, res };
  }

  getJson(path: string): Promise<unknown> {
    const p = pathOnly(path);
    return new Promise<unknown>((resolve, reject) => {
      const { req, res } = this.open(path);
      let settled = false;
      // Settles once; then the request is torn down (its late errors are expected and ignored).
      const done = (err: unknown, v?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err !== undefined) {
          req.destroy();
          reject(failure(path, err));
        } else resolve(v);
      };
      req.on('error', (e) => done(e));
      const timer = setTimeout(() => done(new RuntimeApiError(RUNTIME, 'timeout', p, `no complete answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      res.then((r) => {
        r.on('error', (e) => done(e));
        if (r.statusCode === 404) {
          r.resume();
          return done(undefined, undefined);
        }
        const chunks: Buffer[] = [];
        let size = 0;
        r.on('data', (c: Buffer) => {
          if (settled) return;
          size += c.length;
          if (size > this.maxBytes) return done(new RuntimeApiError(RUNTIME, 'too-large', p, `answer larger than ${this.maxBytes} bytes`));
          chunks.push(c);
        });
        r.once('end', () => {
          if (settled) return;
          const text = Buffer.concat(chunks).toString('utf8');
          if (r.statusCode !== 200) return done(new RuntimeApiError(RUNTIME, 'status', p, `HTTP ${r.statusCode ?? '?'}: ${text.slice(0, 200)}`));
          try {
            done(undefined, JSON.parse(text) as unknown);
          } catch (e) {
            done(new RuntimeApiError(RUNTIME, 'malformed', p, 'answer is not JSON', { cause: e }));
          }
        });
      }, (e: unknown) => done(e));
    });
  }

  async openEvents(path: string, onEvent: (v: unknown) => void, onEnd: (err: RuntimeApiError) => void): Promise<EventStream> {
    const p = pathOnly(path);
    const { req, res } = this.open(path);
    req.on('error', () => undefined); // reported through `res` or `end` below
    const timer = setTimeout(() => req.destroy(new RuntimeApiError(RUNTIME, 'timeout', p, `no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    let r: IncomingMessage;
    try {
      r = await res;
    } catch (e) {
      throw failure(path, e);
    } finally {
      clearTimeout(timer);
    }
    if (r.statusCode !== 200) {
      r.resume();
      req.destroy();
      throw new RuntimeApiError(RUNTIME, 'status', p, `HTTP ${r.statusCode ?? '?'}`);
    }
    let closed = false;
    let ended = false;
    const end = (err: RuntimeApiError): void => {
      if (ended) return;
      ended = true;
      if (!closed) onEnd(err);
    };
    let buf = '';
    r.setEncoding('utf8');
    r.on('data', (c: string) => {
      if (closed) return;
      buf += c;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line === '') continue;
        try {
          onEvent(JSON.parse(line) as unknown);
        } catch {
          // A line that is not JSON is skipped; the next listing repairs whatever it described.
        }
        if (closed) return;
      }
      if (buf.length > this.maxEventBytes) {
        end(new RuntimeApiError(RUNTIME, 'too-large', p, `event larger than ${this.maxEventBytes} bytes`));
        req.destroy();
      }
    });
    r.once('end', () => end(new RuntimeApiError(RUNTIME, 'unreachable', p, 'event stream ended')));
    r.on('error', (e) => end(failure(path, e)));
    req.on('error', (e) => end(failure(path, e)));
    req.once('close', () => end(new RuntimeApiError(RUNTIME, 'unreachable', p, 'connection closed')));
    return {
      close: () => {
        closed = true;
        req.destroy();
      },
    };
  }
}
