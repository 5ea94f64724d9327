import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Observable } from 'rxjs';
import { commandArgv } from '../exec/run.js';
import type { Logger } from '../observe/logger.js';
import { mgmtTarget } from './mgmt-target.js';
import { backoffDelay } from '../reconcile/backoff.js';
import { parseMonitorLine, type FlowEvent, type FlowEventsLost } from './flow-events.js';

/** First restart delay after the monitor exited; doubles up to the maximum. */
export const FLOW_WATCH_RETRY_MIN_MS = 100;
export const FLOW_WATCH_RETRY_MAX_MS = 2_000;

export interface FlowWatchOptions {
  /** Directory holding `<bridge>.mgmt` (OVS_RUNDIR). */
  readonly ovsRundir: string;
  readonly bridge: string;
  /** Namespace to run ovs-ofctl in (a unix socket is reached from anywhere; kept for symmetry with OfctlDriver). */
  readonly hostNetns?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly logger?: Logger;
  /** Called once per child process started (for the process-spawn metric). */
  readonly onSpawn?: () => void;
}

/**
 * Every change to the bridge's flow table, as it happens: one long-lived
 * `ovs-ofctl monitor BRIDGE watch:!initial` child (an OpenFlow flow
 * monitor; it gets SIGTERM when the agent dies, however it dies), its
 * updates parsed. When the child exits (ovs-vswitchd
 * restarted, bridge gone) it is restarted with backoff and LOST is emitted
 * once it runs again, since changes in between were not seen; LOST is also
 * emitted when the switch paused the monitor. The child is ended, by its
 * handle, on unsubscribe.
 */
export function flowWatch$(opts: FlowWatchOptions): Observable<FlowEvent | FlowEventsLost> {
  return new Observable<FlowEvent | FlowEventsLost>((subscriber) => {
    const log = opts.logger?.child({ bridge: opts.bridge, component: 'flow-watch' });
    const target = mgmtTarget(opts.ovsRundir, opts.bridge);
    let stopped = false;
    let child: ChildProcess | undefined;
    let timer: NodeJS.Timeout | undefined;
    let attempt = 0;
    let runs = 0;

    const start = (): void => {
      timer = undefined;
      if (stopped) return;
      // setpriv --pdeathsig: the monitor dies with the agent, even a SIGKILLed one (no orphan keeps watching).
      const argv = ['--pdeathsig', 'TERM', '--', 'ovs-ofctl', '-O', 'OpenFlow15', '--no-names', 'monitor', target, 'watch:!initial'];
      const [bin, ...args] = commandArgv('setpriv', argv, opts.hostNetns) as [string, ...string[]];
      opts.onSpawn?.();
      const c = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OVS_RUNDIR: opts.ovsRundir, ...opts.env } });
      child = c;
      const restarted = runs++ > 0;
      let announced = false;
      const onLine = (line: string): void => {
        if (stopped) return;
        if (!announced) {
          // The first line is the monitor's reply: it runs. Anything missed while it was down is unknown.
          announced = true;
          attempt = 0;
          log?.debug({ pid: c.pid }, 'watching the flow table');
          if (restarted) subscriber.next({ kind: 'LOST' });
        }
        const ev = parseMonitorLine(line);
        if (ev) subscriber.next(ev);
        else log?.trace({ line }, 'flow monitor line');
      };
      // ovs-ofctl prints monitor updates on stdout and its own messages on stderr; read both.
      if (c.stdout) createInterface({ input: c.stdout }).on('line', onLine);
      if (c.stderr) createInterface({ input: c.stderr }).on('line', (l) => (/FLOW_MONITOR|event=/.test(l) ? onLine(l) : log?.debug({ line: l }, 'ovs-ofctl monitor')));
      // 'exit' and 'error' may both come (or only 'error', when the program cannot be started): restart once.
      let ended = false;
      const restart = (why: Record<string, unknown>): void => {
        if (ended) return;
        ended = true;
        if (child === c) child = undefined;
        if (stopped) return;
        const delay = backoffDelay(attempt++, FLOW_WATCH_RETRY_MIN_MS, FLOW_WATCH_RETRY_MAX_MS);
        log?.debug({ ...why, retryInMs: delay }, 'flow monitor ended; restarting');
        timer = setTimeout(start, delay);
      };
      c.on('error', (err) => {
        log?.warn({ err: err.message }, 'flow monitor could not start');
        restart({ err: err.message });
      });
      c.on('exit', (code, signal) => restart({ code, signal }));
    };

    start();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      child?.kill('SIGTERM');
    };
  });
}
