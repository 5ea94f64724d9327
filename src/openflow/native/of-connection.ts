import { createConnection, type Socket } from 'node:net';
import type { Logger } from '../../observe/logger.js';
import { OfFramer, type OfMessage } from './framing.js';
import { decodeError, decodeFeaturesReply, hello, helloVersions, message, multipartFlags, type ErrorReply, type FeaturesReply } from './messages.js';
import { MsgType, OFP15_VERSION, OFPMPF_REPLY_MORE } from './wire.js';
import { OpenFlowError } from './openflow-error.js';
import { OpenFlowProtocolError } from './openflow-protocol-error.js';
import { NsvswitchError } from '../../errors/nsvswitch-error.js';

/** Connect + HELLO + FEATURES must finish within this; a switch that does not answer is not serving the bridge. */
export const OF_HANDSHAKE_TIMEOUT_MS = 5_000;
/** A bundle of tens of thousands of flows takes seconds to commit; a hung switch must not hang a pass forever. */
export const OF_REQUEST_TIMEOUT_MS = 60_000;
/** Multipart replies are collected in memory; a peer that never ends one is cut off here (a million pipeline flows is about 120 MiB). */
export const OF_MAX_MULTIPART_BYTES = 256 * 1024 * 1024;

/** The connection ended (closed, refused, malformed input from the switch, timed out). */
export class OpenFlowConnectionError extends NsvswitchError {
  constructor(
    readonly socketPath: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`OpenFlow connection to ${socketPath} lost: ${reason}`, options);
  }
}

interface Pending {
  readonly what: string;
  readonly multipart: boolean;
  readonly parts: OfMessage[];
  bytes: number;
  readonly resolve: (msgs: OfMessage[]) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export interface OfConnectionOptions {
  readonly logger?: Logger;
  readonly handshakeTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** Default OF_MAX_MULTIPART_BYTES. */
  readonly maxMultipartBytes?: number;
}

/**
 * One OpenFlow 1.5 connection to a switch's management socket: HELLO (1.5
 * only), FEATURES, ECHO answered, requests matched to replies by xid
 * (multipart parts collected). Errors that answer no pending request are
 * handed to `onUnmatchedError` (a bundle's flow errors arrive that way).
 * Anything malformed from the switch closes the connection with a logged
 * error; every pending request then fails, nothing throws out of an event.
 */
export class OfConnection {
  private readonly pending = new Map<number, Pending>();
  private nextXid = 0x6e730100;
  private closedReason: string | undefined;
  private readonly closeListeners = new Set<(reason: string) => void>();
  /** Errors for xids nobody waits on (a bundled flow_mod's). */
  onUnmatchedError: ((xid: number, err: ErrorReply) => void) | undefined;
  /** Messages that answer no pending request (a flow monitor's updates); a throw drops the connection as malformed. */
  onUnsolicited: ((m: OfMessage) => void) | undefined;
  features: FeaturesReply | undefined;

  private constructor(
    readonly socketPath: string,
    private readonly sock: Socket,
    private readonly opts: OfConnectionOptions,
  ) {}

  static open(socketPath: string, opts: OfConnectionOptions = {}): Promise<OfConnection> {
    const sock = createConnection(socketPath);
    const conn = new OfConnection(socketPath, sock, opts);
    return conn.handshake();
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  onClose(listener: (reason: string) => void): () => void {
    if (this.closedReason !== undefined) {
      listener(this.closedReason);
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  xid(): number {
    this.nextXid = (this.nextXid + 1) >>> 0;
    return this.nextXid;
  }

  /** Sends without waiting for anything (bundle adds: success has no reply). */
  send(msg: Buffer): void {
    if (this.closedReason !== undefined) throw new OpenFlowConnectionError(this.socketPath, this.closedReason);
    this.sock.write(msg);
  }

  /** Sends `msg` (whose xid is `xid`) and resolves with the reply, or every part of a multipart reply. */
  request(what: string, xid: number, msg: Buffer, multipart = false): Promise<OfMessage[]> {
    if (this.closedReason !== undefined) return Promise.reject(new OpenFlowConnectionError(this.socketPath, this.closedReason));
    return new Promise<OfMessage[]>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(`${what} timed out after ${this.opts.requestTimeoutMs ?? OF_REQUEST_TIMEOUT_MS} ms`), this.opts.requestTimeoutMs ?? OF_REQUEST_TIMEOUT_MS);
      this.pending.set(xid, { what, multipart, parts: [], bytes: 0, resolve, reject, timer });
      this.sock.write(msg);
    });
  }

  /** A BARRIER round trip: every message sent before it has been processed (its errors, if any, have arrived). */
  async barrier(): Promise<void> {
    const xid = this.xid();
    await this.request('barrier', xid, message(MsgType.barrierRequest, xid));
  }

  close(): void {
    this.fail('closed by nsvswitch', false);
  }

  /** Drops the connection because something the switch sent could not be read (logged as an error). */
  abort(reason: string): void {
    this.fail(reason);
  }

  private handshake(): Promise<OfConnection> {
    const framer = new OfFramer();
    return new Promise<OfConnection>((resolve, reject) => {
      const timeoutMs = this.opts.handshakeTimeoutMs ?? OF_HANDSHAKE_TIMEOUT_MS;
      const timer = setTimeout(() => this.fail(`no OpenFlow handshake within ${timeoutMs} ms`), timeoutMs);
      let helloSeen = false;
      const featuresXid = this.xid();
      this.onClose((reason) => {
        clearTimeout(timer);
        reject(new OpenFlowConnectionError(this.socketPath, reason));
      });
      this.sock.on('connect', () => this.sock.write(hello(this.xid())));
      this.sock.on('error', (err: NodeJS.ErrnoException) => this.fail(err.code ?? err.message, false));
      this.sock.on('close', () => this.fail('closed by the switch', false));
      this.sock.on('data', (chunk: Buffer) => {
        let msgs: OfMessage[];
        try {
          msgs = framer.push(chunk);
        } catch (err) {
          this.fail(err instanceof Error ? err.message : String(err));
          return;
        }
        for (const m of msgs) {
          if (this.closedReason !== undefined) return;
          try {
            if (!helloSeen) {
              if (m.type !== MsgType.hello) throw new OpenFlowProtocolError(`expected HELLO, got type ${m.type}`);
              helloSeen = true;
              if (!helloVersions(m.bytes).has(OFP15_VERSION)) {
                this.fail('the switch does not offer OpenFlow 1.5 (bridge protocols must include OpenFlow15)');
                return;
              }
              framer.setVersion(OFP15_VERSION);
              void this.request('features', featuresXid, message(MsgType.featuresRequest, featuresXid)).then(
                ([reply]) => {
                  try {
                    this.features = decodeFeaturesReply(reply!.bytes);
                  } catch (err) {
                    this.fail(err instanceof Error ? err.message : String(err));
                    return;
                  }
                  clearTimeout(timer);
                  resolve(this);
                },
                () => undefined, // fail() already rejected the handshake through onClose
              );
              continue;
            }
            this.dispatch(m);
          } catch (err) {
            this.fail(err instanceof Error ? err.message : String(err));
            return;
          }
        }
      });
    });
  }

  private dispatch(m: OfMessage): void {
    if (m.type === MsgType.echoRequest) {
      const reply = Buffer.from(m.bytes);
      reply.writeUInt8(MsgType.echoReply, 1);
      this.sock.write(reply);
      return;
    }
    if (m.type === MsgType.hello) throw new OpenFlowProtocolError('second HELLO');
    const p = this.pending.get(m.xid);
    if (m.type === MsgType.error) {
      const err = decodeError(m.bytes);
      if (p === undefined) {
        this.onUnmatchedError?.(m.xid, err);
        return;
      }
      this.settle(m.xid, p);
      p.reject(new OpenFlowError(p.what, err.type, err.code));
      return;
    }
    if (p === undefined) {
      this.onUnsolicited?.(m); // asynchronous messages (monitor updates, port status...) and replies nobody waits for
      return;
    }
    if (p.multipart && m.type === MsgType.multipartReply) {
      p.parts.push(m);
      p.bytes += m.bytes.length;
      const max = this.opts.maxMultipartBytes ?? OF_MAX_MULTIPART_BYTES;
      if (p.bytes > max) throw new OpenFlowProtocolError(`multipart reply to ${p.what} over ${max} bytes`);
      if ((multipartFlags(m.bytes) & OFPMPF_REPLY_MORE) !== 0) return;
      this.settle(m.xid, p);
      p.resolve(p.parts);
      return;
    }
    this.settle(m.xid, p);
    p.resolve([m]);
  }

  private settle(xid: number, p: Pending): void {
    clearTimeout(p.timer);
    this.pending.delete(xid);
  }

  private fail(reason: string, logIt = true): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    if (logIt) this.opts.logger?.error({ socket: this.socketPath, reason }, 'OpenFlow connection dropped');
    this.sock.destroy();
    for (const [xid, p] of this.pending) {
      this.settle(xid, p);
      p.reject(new OpenFlowConnectionError(this.socketPath, reason));
    }
    for (const l of this.closeListeners) l(reason);
    this.closeListeners.clear();
  }
}
