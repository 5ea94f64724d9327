import { Observable } from 'rxjs';
import type { Logger } from '../../observe/logger.js';
import type { FlowEvent, FlowEventsLost } from '../flow-events.js';
import { mgmtSocketPath } from '../mgmt-target.js';
import { backoffDelay } from '../../reconcile/backoff.js';
import { OfConnection, type OfConnectionOptions } from './of-connection.js';
import { message, multipartType } from './messages.js';
import { decodeFlowMonitorReply, flowMonitorRequestBody, type FlowUpdate } from './monitor-codec.js';
import { MsgType, MultipartType } from './wire.js';
import { OpenFlowProtocolError } from './openflow-protocol-error.js';
import { FlowMonitorUnavailableError } from './flow-monitor-unavailable-error.js';

/** First reconnect delay after the monitor connection ended; doubles up to the maximum (same as the ovs-ofctl monitor's restarts). */
export const NATIVE_FLOW_WATCH_RETRY_MIN_MS = 100;
export const NATIVE_FLOW_WATCH_RETRY_MAX_MS = 2_000;
/** Our only monitor on its own connection. */
const MONITOR_ID = 1;

export interface NativeFlowWatchOptions {
  /** Directory holding `<bridge>.mgmt` (OVS_RUNDIR). */
  readonly ovsRundir: string;
  readonly bridge: string;
  readonly logger?: Logger;
  readonly connection?: OfConnectionOptions;
  /**
   * Error the stream with FlowMonitorUnavailableError, instead of retrying,
   * when the switch refuses the monitor (or answers it with something
   * unreadable) before it ever ran: the cue for `auto` to use ovs-ofctl.
   */
  readonly failIfUnsupported?: boolean;
}

/**
 * Every change to the bridge's flow table, as flowWatch$ reports it, from an
 * OpenFlow 1.5 flow monitor (OFPMP_FLOW_MONITOR: adds, removals,
 * modifications, with instructions) on its own in-process
 * connection: no process. Like the ovs-ofctl monitor it watches every flow
 * (a 1.4+ monitor request carries no cookie) and the caller filters by
 * cookie. A connection that ends or sends anything malformed (logged as an
 * error by the connection) is opened again with backoff and LOST is emitted
 * once the monitor runs again; the switch pausing the monitor (PAUSED, and
 * RESUMED when it catches up) is LOST too. Closed on unsubscribe.
 */
export function nativeFlowWatch$(opts: NativeFlowWatchOptions): Observable<FlowEvent | FlowEventsLost> {
  return new Observable<FlowEvent | FlowEventsLost>((subscriber) => {
    const socketPath = mgmtSocketPath(opts.ovsRundir, opts.bridge);
    const log = opts.logger?.child({ bridge: opts.bridge, socket: socketPath, component: 'flow-watch' });
    let stopped = false;
    let conn: OfConnection | undefined;
    let timer: NodeJS.Timeout | undefined;
    let attempt = 0;
    /** A monitor answered on some connection before: a later one starts with LOST. */
    let ran = false;

    const deliver = (u: FlowUpdate): void => {
      if (u.kind === 'PAUSED' || u.kind === 'RESUMED') {
        log?.warn({ event: u.kind }, 'the switch paused or resumed the flow monitor: updates were dropped');
        subscriber.next({ kind: 'LOST' });
      } else if (u.kind === 'ADDED' || u.kind === 'MODIFIED' || u.kind === 'DELETED') {
        subscriber.next(u);
      }
      // INITIAL is never asked for; ABBREV only answers this connection's own flow_mods, and it sends none.
    };

    const start = (): void => {
      timer = undefined;
      if (stopped) return;
      let ended = false;
      let c: OfConnection | undefined;
      /** This connection's monitor sent updates (even unreadable ones): it ran, and what it said may be lost. */
      let seen = false;
      const retry = (why: Record<string, unknown>): void => {
        if (ended) return;
        ended = true;
        if (seen) ran = true;
        c?.close();
        if (conn === c) conn = undefined;
        if (stopped) return;
        const delay = backoffDelay(attempt++, NATIVE_FLOW_WATCH_RETRY_MIN_MS, NATIVE_FLOW_WATCH_RETRY_MAX_MS);
        log?.debug({ ...why, retryInMs: delay }, 'flow monitor ended; reconnecting');
        timer = setTimeout(start, delay);
      };
      void (async () => {
        try {
          c = await OfConnection.open(socketPath, { ...opts.connection, ...(log ? { logger: log } : {}) });
          if (stopped) {
            c.close();
            return;
          }
          conn = c;
          // Set before the request: updates may arrive in the same read as its reply; they are held until
          // the monitor is announced (LOST first). A throw drops the connection as malformed.
          let early: FlowUpdate[] | undefined = [];
          c.onUnsolicited = (m) => {
            if (stopped || m.type !== MsgType.multipartReply || multipartType(m.bytes) !== MultipartType.flowMonitor) return;
            seen = true;
            const updates = decodeFlowMonitorReply(m.bytes);
            if (early) early.push(...updates);
            else for (const u of updates) deliver(u);
          };
          // While the request is out, its rejection decides (below); afterwards a close means reconnect.
          let requesting = true;
          c.onClose((reason) => {
            if (!requesting) retry({ reason });
          });
          const xid = c.xid();
          let parts;
          try {
            parts = await c.request('flow monitor', xid, message(MsgType.multipartRequest, xid, flowMonitorRequestBody(MONITOR_ID)), true);
          } finally {
            requesting = false;
          }
          for (const p of parts) early.push(...decodeFlowMonitorReply(p.bytes));
          const before = ran;
          ran = true;
          if (ended || stopped) return;
          // Dropped right after the reply (an unreadable update in the same read): start over.
          if (c.closed) {
            retry({ reason: 'closed after the monitor reply' });
            return;
          }
          attempt = 0;
          log?.debug('watching the flow table (native OpenFlow monitor)');
          // Anything changed while no monitor ran is unknown.
          if (before) subscriber.next({ kind: 'LOST' });
          const held = early;
          early = undefined;
          for (const u of held) deliver(u);
        } catch (err) {
          if (stopped || ended) return;
          const reason = err instanceof Error ? err.message : String(err);
          // Connected and shook hands, then the monitor request failed: refused (OVS may encode its refusal at
          // another version than the connection's, which drops the connection; that counts too).
          if (opts.failIfUnsupported && !ran && c !== undefined) {
            ended = true;
            c?.close();
            subscriber.error(new FlowMonitorUnavailableError(opts.bridge, socketPath, reason, { cause: err }));
            return;
          }
          if (err instanceof OpenFlowProtocolError) log?.error({ err: reason }, 'malformed flow monitor reply; reconnecting');
          retry({ err: reason });
        }
      })();
    };

    start();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      conn?.close();
    };
  });
}
