import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { firstValueFrom } from 'rxjs';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import type { Logger } from '../../../src/observe/logger.js';
import { OvsdbClient, OvsdbConnectError, OvsdbDisconnectedError, OvsdbRequestTimeoutError } from '../../../src/ovsdb/index.js';

/**
 * A fake server speaking raw bytes, only for protocol robustness: what a real
 * ovsdb-server never sends (garbage, oversized messages) cannot come from one.
 * Each accepted connection runs the next script in the list.
 */
type Script = (sock: Socket, request: Record<string, unknown>) => void;

interface Fake { endpoint: string; server: Server; connections: number; close: () => Promise<void> }

async function fakeServer(scripts: Script[]): Promise<Fake> {
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
    const script = scripts[Math.min(state.connections++, scripts.length - 1)]!;
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      // Client requests are small and arrive whole in these tests.
      for (const m of buf.split(/(?<=\})(?=\{)/)) script(sock, JSON.parse(m) as Record<string, unknown>);
      buf = '';
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => state.server.listen(0, '127.0.0.1', () => r()));
  const addr = state.server.address();
  state.endpoint = `tcp:127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return state;
}

const answer: Script = (sock, req) => {
  if (req.method === 'list_dbs') sock.write(JSON.stringify({ id: req.id, result: ['Fake'], error: null }));
  if (req.method === 'echo') sock.write(JSON.stringify({ id: req.id, result: req.params, error: null }));
};

function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) });
  return { logger: pino({ level: 'warn' }, stream) as unknown as Logger, lines };
}

describe('OvsdbClient facing a misbehaving server', () => {
  const toClose: { close: () => unknown }[] = [];
  afterEach(async () => {
    // Clients first, then the fake servers.
    for (const c of toClose.splice(0).reverse()) await c.close();
  });

  it('delivers the good message, then drops the connection on the garbage after it (logged), reconnects, and works again', async () => {
    const fake = await fakeServer([(sock) => sock.write('{"id":1,"result":["x"],"error":null}}garbage'), answer]);
    toClose.push(fake);
    const { logger, lines } = capturingLogger();
    const client = await OvsdbClient.connect(fake.endpoint, { logger, reconnectMinMs: 20, reconnectMaxMs: 50 });
    toClose.push(client);
    const reconnected = firstValueFrom(client.reconnects$);
    const err = await client.listDbs().then(() => 'resolved', (e: unknown) => e);
    // The first message was fine, so the request resolved; the garbage after it dropped the connection.
    expect(err).toBe('resolved');
    expect(await reconnected).toBe(1);
    expect(await client.listDbs()).toEqual(['Fake']);
    expect(lines.join('')).toMatch(/unexpected byte 0x7d between messages/);
  });

  it('fails the in-flight request with OvsdbDisconnectedError when invalid JSON arrives, then reconnects', async () => {
    const fake = await fakeServer([(sock) => sock.write('{"id":1,"result":[tru],"error":null}'), answer]);
    toClose.push(fake);
    const { logger, lines } = capturingLogger();
    const client = await OvsdbClient.connect(fake.endpoint, { logger, reconnectMinMs: 20, reconnectMaxMs: 50 });
    toClose.push(client);
    const reconnected = firstValueFrom(client.reconnects$);
    const err = await client.listDbs().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OvsdbDisconnectedError);
    expect(String(err)).toMatch(/invalid JSON/);
    expect(await reconnected).toBe(1);
    await expect(client.echo()).resolves.toBeUndefined();
    expect(lines.join('')).toMatch(/bad message from server/);
  });

  it('drops a connection whose message grows beyond maxMessageBytes, without buffering it all', async () => {
    const fake = await fakeServer([
      (sock) => {
        sock.write('{"id":1,"result":["');
        // 1 MiB of string, never finished: the client must give up at its limit, not wait for the end.
        sock.write('x'.repeat(1 << 20));
      },
      answer,
    ]);
    toClose.push(fake);
    const { logger, lines } = capturingLogger();
    const client = await OvsdbClient.connect(fake.endpoint, { logger, maxMessageBytes: 64 * 1024, reconnectMinMs: 20, reconnectMaxMs: 50 });
    toClose.push(client);
    const reconnected = firstValueFrom(client.reconnects$);
    const err = await client.listDbs().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OvsdbDisconnectedError);
    expect(String(err)).toMatch(/exceeds the limit of 65536 bytes/);
    expect(await reconnected).toBe(1);
    expect(await client.listDbs()).toEqual(['Fake']);
    expect(lines.join('')).toMatch(/OvsdbFrameTooLargeError/);
  });

  it('answers the server\'s echo requests, and a silent server fails requests by timeout, not by hanging', async () => {
    let echoReply: unknown;
    const fake = await fakeServer([
      (sock, msg) => {
        if (msg.method === 'list_dbs') sock.write(JSON.stringify({ id: 'srv-1', method: 'echo', params: ['ping'] }));
        if (msg.id === 'srv-1') echoReply = msg;
        // list_dbs itself is never answered.
      },
    ]);
    toClose.push(fake);
    const client = await OvsdbClient.connect(fake.endpoint, { requestTimeoutMs: 300 });
    toClose.push(client);
    await expect(client.listDbs()).rejects.toBeInstanceOf(OvsdbRequestTimeoutError);
    expect(echoReply).toEqual({ id: 'srv-1', result: ['ping'], error: null });
  });

  it('sends echo keepalives on an idle connection and reconnects when they go unanswered', async () => {
    const seen: string[] = [];
    const fake = await fakeServer([(_sock, msg) => seen.push(String(msg.method)), answer]);
    toClose.push(fake);
    const client = await OvsdbClient.connect(fake.endpoint, { keepaliveMs: 50, requestTimeoutMs: 200, reconnectMinMs: 20, reconnectMaxMs: 50 });
    toClose.push(client);
    expect(await firstValueFrom(client.reconnects$)).toBe(1);
    expect(seen).toContain('echo');
  });

  it('gives up the first connection after connectTimeoutMs with OvsdbConnectError', async () => {
    const fake = await fakeServer([answer]);
    const endpoint = fake.endpoint;
    await fake.close();
    await expect(OvsdbClient.connect(endpoint, { connectTimeoutMs: 300, reconnectMinMs: 20, reconnectMaxMs: 50 })).rejects.toBeInstanceOf(OvsdbConnectError);
    await expect(OvsdbClient.connect('http://nope')).rejects.toThrow(/unix:PATH or tcp:HOST:PORT/);
  });
});
