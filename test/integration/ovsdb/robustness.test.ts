import { afterEach, describe, expect, it } from 'vitest';
import { firstValueFrom } from 'rxjs';
import { OvsdbClient, OvsdbConnectError, OvsdbDisconnectedError, OvsdbRequestTimeoutError } from '../../../src/ovsdb/index.js';
import { answer, capturingLogger, fakeServer } from './fake-server.js';

describe('OvsdbClient facing a misbehaving server', () => {
  const toClose: { close: () => unknown }[] = [];
  afterEach(async () => {
    // Clients first, then the fake servers.
    for (const c of toClose.splice(0).reverse()) await c.close();
  });

  it('delivers the good message, then drops the connection on the garbage after it (logged), reconnects, and works again', async () => {
    const fake = await fakeServer([(sock, req) => sock.write(`{"id":${String(req.id)},"result":["x"],"error":null}}garbage`), answer]);
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
    const fake = await fakeServer([(sock, req) => sock.write(`{"id":${String(req.id)},"result":[tru],"error":null}`), answer]);
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
      (sock, req) => {
        sock.write(`{"id":${String(req.id)},"result":["`);
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
    await expect(OvsdbClient.connect('http://nope')).rejects.toThrow(/unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT/);
  });
});
