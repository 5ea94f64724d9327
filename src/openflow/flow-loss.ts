import { watch, type FSWatcher } from 'node:fs';
import { basename } from 'node:path';
import { Observable } from 'rxjs';
import type { Logger } from '../observe/logger.js';
import { openSwitchConnection } from './switch-connection.js';
import { mgmtSocketPath } from './mgmt-target.js';
import { backoffDelay } from '../reconcile/backoff.js';

/** First retry after the switch went away; doubles up to the maximum. */
export const FLOW_LOSS_RETRY_MIN_MS = 50;
/** Worst-case delay to notice the switch is back when no file event arrives (a connect is a syscall, not a process). */
export const FLOW_LOSS_RETRY_MAX_MS = 1_000;

export interface FlowLossOptions {
  /** Directory holding `<bridge>.mgmt` (OVS_RUNDIR). */
  readonly ovsRundir: string;
  readonly bridge: string;
  readonly logger?: Logger;
}

/**
 * Emits each time the switch is reachable again after it was not (an
 * ovs-vswitchd restart, or a bridge re-created): its flow tables are then
 * empty, so the caller replays every flow. Holds one idle OpenFlow
 * connection to the bridge (no child process); while the switch is down it
 * retries with backoff and wakes at once when the socket file reappears.
 * The first successful connection does not emit unless an attempt failed
 * before it. Everything is closed on unsubscribe.
 */
export function flowLoss$(opts: FlowLossOptions): Observable<void> {
  return new Observable<void>((subscriber) => {
    const socketPath = mgmtSocketPath(opts.ovsRundir, opts.bridge);
    const socketName = basename(socketPath);
    const log = opts.logger?.child({ bridge: opts.bridge, socket: socketPath });
    let stopped = false;
    let lostBefore = false;
    let attempt = 0;
    let timer: NodeJS.Timeout | undefined;
    let close: (() => void) | undefined;
    let connecting = false;

    const connect = (): void => {
      if (stopped) return;
      timer = undefined;
      connecting = true;
      close = openSwitchConnection(socketPath, {
        onReady: () => {
          connecting = false;
          attempt = 0;
          if (lostBefore) {
            lostBefore = false;
            log?.warn('switch is back: its flows are gone, replay needed');
            subscriber.next();
          } else {
            log?.debug('connected to the switch');
          }
        },
        onClose: (reason) => {
          connecting = false;
          close = undefined;
          if (stopped) return;
          if (!lostBefore) log?.warn({ reason }, 'lost the switch (ovs-vswitchd down or bridge gone)');
          lostBefore = true;
          schedule();
        },
      });
    };

    const schedule = (): void => {
      if (stopped || timer !== undefined) return;
      timer = setTimeout(connect, backoffDelay(attempt++, FLOW_LOSS_RETRY_MIN_MS, FLOW_LOSS_RETRY_MAX_MS));
    };

    // A new socket file means a new switch: try right away instead of waiting out the backoff.
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(opts.ovsRundir, (_event, name) => {
        if (stopped || name !== socketName || timer === undefined || connecting) return;
        clearTimeout(timer);
        timer = setTimeout(connect, 10);
      });
      watcher.on('error', () => watcher?.close());
    } catch {
      watcher = undefined;
    }

    connect();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      close?.();
      watcher?.close();
    };
  });
}
