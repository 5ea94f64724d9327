import type { Logger } from '../../observe/logger.js';
import type { Flow } from '../flow.js';
import type { FlowChange, FlowDriver } from '../flow-driver.js';
import type { CookieFilter } from '../cookie-filter.js';
import { mgmtSocketPath } from '../mgmt-target.js';
import { FlowApplyError } from '../errors/flow-apply-error.js';
import { FlowDumpError } from '../errors/flow-dump-error.js';
import { OfConnection, type OfConnectionOptions } from './of-connection.js';
import { FlowReadCache, bundleAddFlowMod, bundleControlBody, decodeBundleControl, decodeFlowStatsReply, flowModBody, flowStatsRequestBody, message, multipartType, type ErrorReply } from './messages.js';
import { BundleCtrl, FlowModCommand, MsgType, MultipartType, OFPBF_ATOMIC, OFPBF_ORDERED } from './wire.js';
import { OpenFlowError } from './openflow-error.js';
import { OpenFlowProtocolError } from './openflow-protocol-error.js';

export interface NativeFlowDriverOptions {
  /** Directory holding `<bridge>.mgmt` sockets (OVS_RUNDIR). */
  readonly ovsRundir: string;
  /** The flows this driver dumps (the caller's own, by cookie); flows outside it are never read, changed or deleted. */
  readonly cookie: CookieFilter;
  readonly logger?: Logger;
  readonly connection?: OfConnectionOptions;
}

const ALL_ONES_64 = (1n << 64n) - 1n;
const BUNDLE_FLAGS = OFPBF_ATOMIC | OFPBF_ORDERED;
/** Flow-mods per socket write of a bundle (about 100 KiB of pipeline flows). */
const SEND_CHUNK = 512;

/**
 * Programs flows over one in-process OpenFlow 1.5 connection per bridge (no
 * process): a dump is one flow-stats request filtered by cookie, a change is
 * one atomic, ordered bundle (deletes first, then adds). A connection that
 * fails or reads anything malformed is dropped and opened again by the next
 * call; the caller's error path resyncs.
 */
export class NativeFlowDriver implements FlowDriver {
  private readonly conns = new Map<string, Promise<OfConnection>>();
  private readonly tails = new Map<string, Promise<unknown>>();
  /** Per bridge, the flows its last dump read (a dump of unchanged flows decodes nothing). */
  private readonly readCaches = new Map<string, FlowReadCache>();
  private bundleId = 0;

  constructor(private readonly opts: NativeFlowDriverOptions) {}

  dump(bridge: string): Promise<Flow[]> {
    return this.serial(bridge, async () => {
      try {
        const conn = await this.connection(bridge);
        const xid = conn.xid();
        const parts = await conn.request('flow stats', xid, message(MsgType.multipartRequest, xid, flowStatsRequestBody(this.opts.cookie.value, this.opts.cookie.mask)), true);
        const cache = this.readCache(bridge);
        cache.begin();
        const flows: Flow[] = [];
        for (const p of parts) {
          if (multipartType(p.bytes) !== MultipartType.flowDesc) throw new OpenFlowProtocolError(`multipart reply of type ${multipartType(p.bytes)} to a flow stats request`);
          for (const f of this.decodeOrDrop(conn, () => decodeFlowStatsReply(p.bytes, cache))) flows.push(f);
        }
        cache.end();
        return flows;
      } catch (err) {
        throw new FlowDumpError(bridge, { cause: err });
      }
    });
  }

  apply(bridge: string, change: FlowChange): Promise<void> {
    if (change.add.length === 0 && change.del.length === 0) return Promise.resolve();
    return this.serial(bridge, async () => {
      try {
        await this.bundle(bridge, change);
      } catch (err) {
        throw new FlowApplyError(bridge, change.add.length, change.del.length, { cause: err });
      }
    });
  }

  /** Forgets the flows the last dumps read (the next dump decodes everything once). */
  forgetDumps(): void {
    this.readCaches.clear();
  }

  /** Closes every connection (the agent's shutdown). */
  close(): void {
    for (const c of this.conns.values()) void c.then((conn) => conn.close(), () => undefined);
    this.conns.clear();
    this.readCaches.clear();
  }

  private readCache(bridge: string): FlowReadCache {
    let c = this.readCaches.get(bridge);
    if (c === undefined) this.readCaches.set(bridge, (c = new FlowReadCache()));
    return c;
  }

  private async bundle(bridge: string, change: FlowChange): Promise<void> {
    const total = change.del.length + change.add.length;
    const encode = (i: number) => (i < change.del.length ? flowModBody(FlowModCommand.deleteStrict, change.del[i]!, ALL_ONES_64) : flowModBody(FlowModCommand.add, change.add[i - change.del.length]!, 0n));
    // A small change is encoded whole before the switch sees any of it; a large one is encoded in chunks sent as they are ready, so ovs-vswitchd reads while we encode (a flow we cannot encode then discards the bundle).
    const early = total <= SEND_CHUNK ? Array.from({ length: total }, (_, i) => encode(i)) : undefined;
    const conn = await this.connection(bridge);
    const id = (this.bundleId = (this.bundleId + 1) >>> 0);
    const control = async (type: number, expect: number, what: string) => {
      const xid = conn.xid();
      const [reply] = await conn.request(what, xid, message(MsgType.bundleControl, xid, bundleControlBody(id, type, BUNDLE_FLAGS)));
      const r = this.decodeOrDrop(conn, () => decodeBundleControl(reply!.bytes));
      if (reply!.type !== MsgType.bundleControl || r.type !== expect || r.bundleId !== id) throw new OpenFlowProtocolError(`unexpected answer to ${what}`);
    };
    await control(BundleCtrl.openRequest, BundleCtrl.openReply, 'bundle open');
    const errors: { xid: number; err: ErrorReply }[] = [];
    const first = conn.xid();
    conn.onUnmatchedError = (xid, err) => {
      if (errors.length < 16) errors.push({ xid, err });
    };
    try {
      let xid = first;
      for (let start = 0; start < total; start += SEND_CHUNK) {
        const msgs: Buffer[] = [];
        for (let i = start; i < Math.min(total, start + SEND_CHUNK); i++) {
          let body: Buffer;
          try {
            body = early ? early[i]! : encode(i);
          } catch (err) {
            await control(BundleCtrl.discardRequest, BundleCtrl.discardReply, 'bundle discard').catch(() => undefined);
            throw err;
          }
          msgs.push(bundleAddFlowMod(xid, id, BUNDLE_FLAGS, body));
          xid = conn.xid();
        }
        conn.send(msgs.length === 1 ? msgs[0]! : Buffer.concat(msgs));
      }
      // Adds have no reply when they succeed: a barrier proves the switch has read them all (and sent any errors).
      await conn.barrier();
      if (errors.length > 0) {
        await control(BundleCtrl.discardRequest, BundleCtrl.discardReply, 'bundle discard').catch(() => undefined);
        const e = errors[0]!;
        const at = e.xid - first;
        const which = at >= 0 && at < total ? (at < change.del.length ? `delete ${at}` : `add ${at - change.del.length}`) : `xid ${e.xid}`;
        throw new OpenFlowError(`bundle (${which} rejected)`, e.err.type, e.err.code);
      }
      await control(BundleCtrl.commitRequest, BundleCtrl.commitReply, 'bundle commit');
    } finally {
      conn.onUnmatchedError = undefined;
    }
  }

  private decodeOrDrop<T>(conn: OfConnection, decode: () => T): T {
    try {
      return decode();
    } catch (err) {
      conn.abort(err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  private connection(bridge: string): Promise<OfConnection> {
    const have = this.conns.get(bridge);
    if (have !== undefined) {
      return have.then(
        (c) => (c.closed ? this.reopen(bridge) : c),
        () => this.reopen(bridge),
      );
    }
    return this.reopen(bridge);
  }

  private reopen(bridge: string): Promise<OfConnection> {
    const path = mgmtSocketPath(this.opts.ovsRundir, bridge);
    const log = this.opts.logger?.child({ bridge, socket: path });
    const p = OfConnection.open(path, { ...this.opts.connection, ...(log ? { logger: log } : {}) });
    this.conns.set(bridge, p);
    p.then(
      (c) => c.onClose((reason) => log?.debug({ reason }, 'OpenFlow connection closed')),
      () => undefined,
    );
    return p;
  }

  private serial<T>(bridge: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(bridge) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(bridge, tail);
    void tail.then(() => {
      if (this.tails.get(bridge) === tail) this.tails.delete(bridge);
    });
    return next;
  }
}
