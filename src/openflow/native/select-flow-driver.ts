import type { Logger } from '../../observe/logger.js';
import type { Flow } from '../flow.js';
import type { FlowChange, FlowDriver } from '../flow-driver.js';
import { OfctlDriver, type OfctlDriverOptions } from '../ofctl-driver.js';
import { NativeFlowDriver } from './native-driver.js';
import { OpenFlowError } from './openflow-error.js';

/** auto: in-process OpenFlow, ovs-ofctl when the native connection fails; native: in-process only; ofctl: one ovs-ofctl process per dump and per bundle. */
export type FlowDriverMode = 'auto' | 'native' | 'ofctl';

export interface SelectedFlowDriver {
  readonly driver: FlowDriver;
  /** Closes the native connections (the agent's shutdown). */
  close(): void;
  /** Drops what the native driver remembers of its last dumps (memory after a burst; nothing on ovs-ofctl). */
  forget(): void;
}

export interface SelectFlowDriverOptions extends OfctlDriverOptions {
  readonly logger?: Logger;
  /** Told which path served the last call: true in-process, false ovs-ofctl (for a metric). */
  readonly onPath?: (native: boolean) => void;
}

/** Builds the flow driver for a mode; `auto` wraps the native one with the ovs-ofctl fallback. */
export function selectFlowDriver(mode: FlowDriverMode, opts: SelectFlowDriverOptions): SelectedFlowDriver {
  if (mode === 'ofctl') {
    opts.onPath?.(false);
    return { driver: new OfctlDriver(opts), close: () => undefined, forget: () => undefined };
  }
  const native = new NativeFlowDriver({ ovsRundir: opts.ovsRundir, cookie: opts.cookie, ...(opts.logger ? { logger: opts.logger } : {}) });
  if (mode === 'native') {
    opts.onPath?.(true);
    return { driver: native, close: () => native.close(), forget: () => native.forgetDumps() };
  }
  const fallback = new FallbackFlowDriver(native, new OfctlDriver(opts), opts.logger, opts.onPath);
  return { driver: fallback, close: () => native.close(), forget: () => native.forgetDumps() };
}

/**
 * The native driver first; when it fails for any reason but the switch
 * rejecting the change (no connection, a malformed answer, a flow it cannot
 * encode), the same call goes through ovs-ofctl. A retried bundle is safe:
 * adds replace, strict deletes of absent flows do nothing. Says so once per
 * change of path.
 */
export class FallbackFlowDriver implements FlowDriver {
  private onNative: boolean | undefined;

  constructor(
    private readonly native: FlowDriver,
    private readonly ofctl: FlowDriver,
    private readonly logger?: Logger,
    private readonly onPath?: (native: boolean) => void,
  ) {}

  dump(bridge: string): Promise<Flow[]> {
    return this.either(bridge, 'dump', (d) => d.dump(bridge));
  }

  apply(bridge: string, change: FlowChange): Promise<void> {
    return this.either(bridge, 'apply', (d) => d.apply(bridge, change));
  }

  private async either<T>(bridge: string, op: string, call: (d: FlowDriver) => Promise<T>): Promise<T> {
    try {
      const r = await call(this.native);
      this.path(true, bridge);
      return r;
    } catch (err) {
      if (rejectedBySwitch(err)) throw err;
      this.path(false, bridge, op, err);
      return call(this.ofctl);
    }
  }

  private path(native: boolean, bridge: string, op?: string, err?: unknown): void {
    if (this.onNative === native) return;
    this.onNative = native;
    this.onPath?.(native);
    if (native) this.logger?.info({ bridge }, 'flows programmed in-process (native OpenFlow)');
    else this.logger?.warn({ bridge, op, err: err instanceof Error ? err.message : String(err) }, 'native OpenFlow failed: falling back to ovs-ofctl');
  }
}

function rejectedBySwitch(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (e instanceof OpenFlowError) return true;
  return false;
}
