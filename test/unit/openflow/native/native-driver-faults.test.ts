import { createServer, type Server, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { FlowDumpError, FlowApplyError } from '../../../../src/openflow/index.js';
import { OWNER_COOKIE } from '../../../../src/core/pipeline/index.js';
import { NativeFlowDriver } from '../../../../src/openflow/native/native-driver.js';
import { OfFramer } from '../../../../src/openflow/native/framing.js';
import { MsgType } from '../../../../src/openflow/native/wire.js';

const session = JSON.parse(readFileSync(new URL('../../../fixtures/openflow/ovs-session.json', import.meta.url), 'utf8')) as { messages: Record<string, string> };
const recorded = (name: string, xid?: number): Buffer => {
  const b = Buffer.from(session.messages[name]!, 'hex');
  if (xid !== undefined) b.writeUInt32BE(xid, 4);
  return b;
};

const sockets = new Set<Socket>();

/** A fake switch on a unix socket: answers HELLO and FEATURES from the recording, then whatever `onRequest` says. */
function fakeSwitch(path: string, onRequest: (type: number, xid: number, sock: Socket) => void): Promise<{ server: Server; connections: () => number }> {
  let n = 0;
  const server = createServer((sock) => {
    n++;
    sockets.add(sock);
    const framer = new OfFramer();
    sock.on('error', () => undefined);
    sock.write(recorded('hello'));
    sock.on('data', (chunk) => {
      for (const m of framer.push(chunk)) {
        if (m.type === MsgType.hello) continue;
        if (m.type === MsgType.featuresRequest) sock.write(recorded('featuresReply', m.xid));
        else onRequest(m.type, m.xid, sock);
      }
    });
  });
  return new Promise((resolve) => server.listen(path, () => resolve({ server, connections: () => n })));
}

describe('NativeFlowDriver against a switch that sends garbage', () => {
  let dir: string;
  let server: Server | undefined;
  const lines: { level: number; reason?: string; msg: string }[] = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l) as { level: number; msg: string }) });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nsvs-of-fake-'));
    lines.length = 0;
  });
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('drops the connection with a logged error on a message shorter than its header, then reconnects', async () => {
    let mode: 'garbage' | 'good' = 'garbage';
    const fake = await fakeSwitch(join(dir, 'br0.mgmt'), (type, xid, sock) => {
      if (type !== MsgType.multipartRequest) return;
      if (mode === 'garbage') sock.write(Buffer.from('0613000400000000', 'hex'));
      else sock.write(recorded('flowStatsReply', xid));
    });
    server = fake.server;
    const driver = new NativeFlowDriver({ ovsRundir: dir, cookie: OWNER_COOKIE, logger });
    await expect(driver.dump('br0')).rejects.toThrow(FlowDumpError);
    expect(lines.some((l) => l.level === 50 && /shorter than the header/.test(l.reason ?? ''))).toBe(true);
    mode = 'good';
    expect((await driver.dump('br0')).length).toBeGreaterThan(10);
    expect(fake.connections()).toBe(2);
    driver.close();
  });

  it('drops the connection when a flow-stats entry overruns its message', async () => {
    const bad = recorded('flowStatsReply');
    bad.writeUInt16BE(0xfff8, 16); // first entry claims more bytes than the message has
    const fake = await fakeSwitch(join(dir, 'br0.mgmt'), (type, xid, sock) => {
      if (type === MsgType.multipartRequest) {
        bad.writeUInt32BE(xid, 4);
        sock.write(bad);
      }
    });
    server = fake.server;
    const driver = new NativeFlowDriver({ ovsRundir: dir, cookie: OWNER_COOKIE, logger });
    await expect(driver.dump('br0')).rejects.toThrow(/flow stats entry length/);
    expect(lines.some((l) => l.level === 50 && l.msg === 'OpenFlow connection dropped')).toBe(true);
    driver.close();
  });

  it('cuts off a multipart reply that never ends at the byte bound', async () => {
    const fake = await fakeSwitch(join(dir, 'br0.mgmt'), (type, xid, sock) => {
      if (type !== MsgType.multipartRequest) return;
      const part = recorded('flowStatsReply', xid);
      part.writeUInt16BE(1, 10); // OFPMPF_REPLY_MORE, forever
      const flood = () => {
        if (!sock.destroyed) sock.write(part, () => setImmediate(flood));
      };
      flood();
    });
    server = fake.server;
    const driver = new NativeFlowDriver({ ovsRundir: dir, cookie: OWNER_COOKIE, logger, connection: { maxMultipartBytes: 1 << 20 } });
    await expect(driver.dump('br0')).rejects.toMatchObject({ cause: { reason: expect.stringMatching(/over 1048576 bytes/) } });
    driver.close();
  });

  it('fails a request the switch never answers after the timeout, and the bundle is reported as not applied', async () => {
    const fake = await fakeSwitch(join(dir, 'br0.mgmt'), () => undefined);
    server = fake.server;
    const driver = new NativeFlowDriver({ ovsRundir: dir, cookie: OWNER_COOKIE, logger, connection: { requestTimeoutMs: 200 } });
    await expect(driver.apply('br0', { add: [{ table: 0, priority: 0, match: '', actions: 'drop', cookie: OWNER_COOKIE.value }], del: [] })).rejects.toThrow(FlowApplyError);
    driver.close();
  });

  it('refuses a switch that does not offer OpenFlow 1.5', async () => {
    const server13 = createServer((sock) => {
      sockets.add(sock);
      sock.on('error', () => undefined);
      sock.write(Buffer.from('04000010000000010001000800000010', 'hex')); // HELLO, bitmap {1.3}
    });
    server = server13;
    await new Promise<void>((r) => server13.listen(join(dir, 'br0.mgmt'), () => r()));
    const driver = new NativeFlowDriver({ ovsRundir: dir, cookie: OWNER_COOKIE, logger });
    await expect(driver.dump('br0')).rejects.toThrow(FlowDumpError);
    await expect(driver.dump('br0')).rejects.toMatchObject({ cause: { reason: expect.stringMatching(/OpenFlow 1\.5/) } });
    driver.close();
  });

  it('fails at once when the socket does not exist', async () => {
    const driver = new NativeFlowDriver({ ovsRundir: dir, cookie: OWNER_COOKIE, logger });
    await expect(driver.dump('br0')).rejects.toMatchObject({ cause: { reason: 'ENOENT' } });
  });
});
