import { createServer, type Server, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Subscription } from 'rxjs';
import type { FlowEvent, FlowEventsLost } from '../../../../src/openflow/index.js';
import { nativeFlowWatch$ } from '../../../../src/openflow/native/native-flow-watch.js';
import { FlowMonitorUnavailableError } from '../../../../src/openflow/native/flow-monitor-unavailable-error.js';
import { OfFramer } from '../../../../src/openflow/native/framing.js';
import { MsgType } from '../../../../src/openflow/native/wire.js';
import { eventually } from '../../../helpers/agent-env.js';

const load = (file: string) => (JSON.parse(readFileSync(new URL(`../../../fixtures/openflow/${file}`, import.meta.url), 'utf8')) as { messages: Record<string, string> }).messages;
const handshake = load('ovs-session.json');
const monitor = load('ovs-monitor-session.json');
const bytes = (hex: string, xid?: number): Buffer => {
  const b = Buffer.from(hex, 'hex');
  if (xid !== undefined) b.writeUInt32BE(xid, 4);
  return b;
};

const sockets = new Set<Socket>();

/** A fake switch: HELLO and FEATURES from a real recording, then `onMonitor` answers each flow monitor request. */
function fakeSwitch(path: string, onMonitor: (xid: number, sock: Socket, nth: number) => void): Promise<{ server: Server; connections: () => number }> {
  let n = 0;
  const server = createServer((sock) => {
    const nth = n++;
    sockets.add(sock);
    const framer = new OfFramer();
    sock.on('error', () => undefined);
    sock.write(bytes(handshake.hello!));
    sock.on('data', (chunk) => {
      for (const m of framer.push(chunk)) {
        if (m.type === MsgType.featuresRequest) sock.write(bytes(handshake.featuresReply!, m.xid));
        else if (m.type === MsgType.multipartRequest) onMonitor(m.xid, sock, nth);
      }
    });
  });
  return new Promise((resolve) => server.listen(path, () => resolve({ server, connections: () => n })));
}

describe('nativeFlowWatch$ against a switch that misbehaves', () => {
  let dir: string;
  let server: Server | undefined;
  let sub: Subscription | undefined;
  const seen: (FlowEvent | FlowEventsLost)[] = [];
  const lines: { level: number; reason?: string; msg: string }[] = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l) as { level: number; msg: string }) });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nsvs-of-watch-fake-'));
    lines.length = 0;
    seen.length = 0;
  });
  afterEach(async () => {
    sub?.unsubscribe();
    sub = undefined;
    for (const s of sockets) s.destroy();
    sockets.clear();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('reports the recorded updates, and a pause and a resume as LOST', async () => {
    const fake = await fakeSwitch(join(dir, 'br0.mgmt'), (xid, sock) => {
      sock.write(Buffer.concat([bytes(monitor.monitorReply!, xid), ...['added', 'modified', 'deleted', 'paused', 'resumed'].map((k) => bytes(monitor[k]!))]));
    });
    server = fake.server;
    sub = nativeFlowWatch$({ ovsRundir: dir, bridge: 'br0', logger }).subscribe((e) => seen.push(e));
    await eventually('five events', async () => seen.length === 5, 5_000, 10);
    expect(seen.map((e) => e.kind)).toEqual(['ADDED', 'MODIFIED', 'DELETED', 'LOST', 'LOST']);
  });

  it('drops the connection with a logged error on a malformed update, reconnects and says updates were lost', async () => {
    const bad = bytes(monitor.added!);
    bad.writeUInt16BE(0xfff8, 16); // the entry claims more bytes than the message has
    const fake = await fakeSwitch(join(dir, 'br0.mgmt'), (xid, sock, nth) => {
      sock.write(bytes(monitor.monitorReply!, xid));
      sock.write(nth === 0 ? bad : bytes(monitor.added!));
    });
    server = fake.server;
    sub = nativeFlowWatch$({ ovsRundir: dir, bridge: 'br0', logger }).subscribe((e) => seen.push(e));
    await eventually('the update after the reconnect', async () => seen.some((e) => e.kind === 'ADDED'), 5_000, 10);
    expect(seen.map((e) => e.kind)).toEqual(['LOST', 'ADDED']);
    expect(lines.some((l) => l.level === 50 && /flow update length/.test(l.reason ?? ''))).toBe(true);
    expect(fake.connections()).toBe(2);
  });

  it('retries while the switch is absent, then watches once it is there', async () => {
    sub = nativeFlowWatch$({ ovsRundir: dir, bridge: 'br0', logger }).subscribe((e) => seen.push(e));
    await new Promise((r) => setTimeout(r, 150));
    const fake = await fakeSwitch(join(dir, 'br0.mgmt'), (xid, sock) => sock.write(Buffer.concat([bytes(monitor.monitorReply!, xid), bytes(monitor.added!)])));
    server = fake.server;
    await eventually('the update', async () => seen.some((e) => e.kind === 'ADDED'), 5_000, 10);
    expect(seen.map((e) => e.kind)).toEqual(['ADDED']);
  });

  it('errors with FlowMonitorUnavailableError when asked to, if the switch refuses the monitor before it ever ran', async () => {
    const fake = await fakeSwitch(join(dir, 'br0.mgmt'), (xid, sock) => {
      // OFPET_FLOW_MONITOR_FAILED / OFPMOFC_BAD_FLAGS, as an OpenFlow 1.5 error.
      sock.write(bytes('0601000c000000000010000a', xid));
    });
    server = fake.server;
    const err = await new Promise<unknown>((resolve) => {
      sub = nativeFlowWatch$({ ovsRundir: dir, bridge: 'br0', logger, failIfUnsupported: true }).subscribe({ error: resolve });
    });
    expect(err).toBeInstanceOf(FlowMonitorUnavailableError);
    expect((err as Error).message).toMatch(/br0/);
  });

  it('closes its connection on unsubscribe', async () => {
    let closed = false;
    const fake = await fakeSwitch(join(dir, 'br0.mgmt'), (xid, sock) => {
      sock.on('close', () => (closed = true));
      sock.write(Buffer.concat([bytes(monitor.monitorReply!, xid), bytes(monitor.added!)]));
    });
    server = fake.server;
    sub = nativeFlowWatch$({ ovsRundir: dir, bridge: 'br0', logger }).subscribe((e) => seen.push(e));
    await eventually('the update', async () => seen.length === 1, 5_000, 10);
    sub.unsubscribe();
    sub = undefined;
    await eventually('the connection closed', async () => closed, 5_000, 10);
    expect(fake.connections()).toBe(1);
  });
});
