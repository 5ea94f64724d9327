import { createConnection, type Socket } from 'node:net';

/**
 * The smallest OpenFlow conversation that proves a switch is alive: HELLO
 * (with a version bitmap for 1.0-1.5), one ECHO round trip, and ECHO replies
 * to the switch's keepalives. No flows are read or written; a closed socket
 * means the switch (or the bridge) went away.
 */
const OFPT_HELLO = 0;
const OFPT_ERROR = 1;
const OFPT_ECHO_REQUEST = 2;
const OFPT_ECHO_REPLY = 3;
const OFP_HEADER_LEN = 8;
const OUR_MAX_VERSION = 0x06;
const PROBE_XID = 0x6e730001;

function header(version: number, type: number, length: number, xid: number): Buffer {
  const b = Buffer.alloc(length);
  b.writeUInt8(version, 0);
  b.writeUInt8(type, 1);
  b.writeUInt16BE(length, 2);
  b.writeUInt32BE(xid, 4);
  return b;
}

function helloMessage(): Buffer {
  const b = header(OUR_MAX_VERSION, OFPT_HELLO, 16, 1);
  b.writeUInt16BE(1, 8); // OFPHET_VERSIONBITMAP
  b.writeUInt16BE(8, 10);
  b.writeUInt32BE(0b1111110, 12); // versions 0x01..0x06
  return b;
}

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
  let version = 0;
  let buf: Buffer = Buffer.alloc(0);
  const sock: Socket = createConnection(socketPath);
  sock.on('connect', () => sock.write(helloMessage()));
  sock.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    while (buf.length >= OFP_HEADER_LEN) {
      const len = buf.readUInt16BE(2);
      if (len < OFP_HEADER_LEN) {
        reason = 'bad OpenFlow message length';
        sock.destroy();
        return;
      }
      if (buf.length < len) break;
      const msg = buf.subarray(0, len);
      buf = buf.subarray(len);
      handle(msg);
    }
  });
  const handle = (msg: Buffer): void => {
    const type = msg.readUInt8(1);
    const xid = msg.readUInt32BE(4);
    if (type === OFPT_HELLO) {
      version = Math.min(OUR_MAX_VERSION, msg.readUInt8(0));
      sock.write(header(version, OFPT_ECHO_REQUEST, OFP_HEADER_LEN, PROBE_XID));
    } else if (type === OFPT_ECHO_REQUEST) {
      const reply = Buffer.from(msg);
      reply.writeUInt8(OFPT_ECHO_REPLY, 1);
      sock.write(reply);
    } else if (type === OFPT_ECHO_REPLY && xid === PROBE_XID) {
      events.onReady();
    } else if (type === OFPT_ERROR) {
      reason = `OpenFlow error ${msg.length >= 12 ? `type ${msg.readUInt16BE(8)} code ${msg.readUInt16BE(10)}` : ''}`.trim();
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
