import { createConnection, type Socket } from 'node:net';
import { OfFramer, type OfMessage } from './native/framing.js';
import { hello, message } from './native/messages.js';
import { MsgType, OFP15_VERSION } from './native/wire.js';

/**
 * The smallest OpenFlow conversation that proves a switch is alive: HELLO
 * (with a version bitmap for 1.0-1.5), one ECHO round trip, and ECHO replies
 * to the switch's keepalives. No flows are read or written; a closed socket
 * means the switch (or the bridge) went away.
 */
const PROBE_VERSIONS = [0x01, 0x02, 0x03, 0x04, 0x05, OFP15_VERSION];
const PROBE_XID = 0x6e730001;

export interface SwitchConnectionEvents {
  /** The switch answered our echo: it is up and serving the bridge. */
  readonly onReady: () => void;
  /** The connection ended (refused, reset, closed); called exactly once. */
  readonly onClose: (reason: string) => void;
}

/** Opens one probe connection to `<bridge>.mgmt`; returns a function that closes it. */
export function openSwitchConnection(socketPath: string, events: SwitchConnectionEvents): () => void {
  let closed = false;
  let reason = 'closed by the switch';
  const framer = new OfFramer();
  const sock: Socket = createConnection(socketPath);
  sock.on('connect', () => sock.write(hello(1, PROBE_VERSIONS)));
  sock.on('data', (chunk: Buffer) => {
    let messages: OfMessage[];
    try {
      messages = framer.push(chunk);
    } catch (err) {
      reason = (err as Error).message;
      sock.destroy();
      return;
    }
    for (const m of messages) handle(m);
  });
  const handle = ({ version, type, xid, bytes }: OfMessage): void => {
    if (type === MsgType.hello) {
      sock.write(message(MsgType.echoRequest, PROBE_XID, undefined, Math.min(OFP15_VERSION, version)));
    } else if (type === MsgType.echoRequest) {
      const reply = Buffer.from(bytes);
      reply.writeUInt8(MsgType.echoReply, 1);
      sock.write(reply);
    } else if (type === MsgType.echoReply && xid === PROBE_XID) {
      events.onReady();
    } else if (type === MsgType.error) {
      reason = `OpenFlow error ${bytes.length >= 12 ? `type ${bytes.readUInt16BE(8)} code ${bytes.readUInt16BE(10)}` : ''}`.trim();
      sock.destroy();
    }
  };
  sock.on('error', (err: NodeJS.ErrnoException) => {
    reason = err.code ?? err.message;
  });
  sock.on('close', () => {
    if (closed) return;
    closed = true;
    events.onClose(reason);
  });
  return () => {
    closed = true;
    sock.destroy();
  };
}
