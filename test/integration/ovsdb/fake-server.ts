import { createServer, type Server, type Socket } from 'node:net';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import type { Logger } from '../../../src/observe/logger.js';

/**
 * A fake server speaking raw bytes, only to play a lying or broken server:
 * what a real ovsdb-server never sends (garbage, oversized or absurdly deep
 * messages, rows of the wrong type, replies to nothing) cannot come from one.
 * Each accepted connection runs the next script in the list (the last one
 * for all later connections).
 */
export type Script = (sock: Socket, request: Record<string, unknown>) => void;

export interface Fake {
  endpoint: string;
  server: Server;
  connections: number;
  close: () => Promise<void>;
}

export async function fakeServer(scripts: Script[], onConnection?: (sock: Socket, n: number) => void): Promise<Fake> {
  const sockets = new Set<Socket>();
  const server = createServer();
  const state: Fake = {
    endpoint: '',
    server,
    connections: 0,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
  state.server.on('connection', (sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    const n = state.connections++;
    onConnection?.(sock, n);
    const script = scripts[Math.min(n, scripts.length - 1)]!;
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      // Client requests are small and arrive whole in these tests.
      for (const m of buf.split(/(?<=\})(?=\{)/)) {
        const req = JSON.parse(m) as Record<string, unknown>;
        if (!preamble(sock, req)) script(sock, req);
      }
      buf = '';
    });
  });
  await new Promise<void>((r) => state.server.listen(0, '127.0.0.1', () => r()));
  const addr = state.server.address();
  state.endpoint = `tcp:127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return state;
}

/**
 * What the client sends on every connection before anything else is answered
 * here like an old standalone server: set_db_change_aware accepted, no _Server
 * database (so the member check passes).
 */
function preamble(sock: Socket, req: Record<string, unknown>): boolean {
  if (req.method === 'set_db_change_aware') {
    sock.write(JSON.stringify({ id: req.id, result: {}, error: null }));
    return true;
  }
  if (req.method === 'monitor' && Array.isArray(req.params) && req.params[0] === '_Server') {
    sock.write(JSON.stringify({ id: req.id, result: null, error: { error: 'unknown database', details: '_Server' } }));
    return true;
  }
  return false;
}

/** Answers list_dbs and echo like a server with one database "Fake". */
export const answer: Script = (sock, req) => {
  if (req.method === 'list_dbs') sock.write(JSON.stringify({ id: req.id, result: ['Fake'], error: null }));
  if (req.method === 'echo') sock.write(JSON.stringify({ id: req.id, result: req.params, error: null }));
};

/** A pino logger at `level` whose lines are kept in memory. */
export function capturingLogger(level = 'warn'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) });
  return { logger: pino({ level }, stream) as unknown as Logger, lines };
}
