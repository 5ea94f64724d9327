import { run } from '../exec/run.js';
import type { Flow } from './flow.js';
import { flowToStrictDeleteText, flowToText } from './flow.js';
import type { FlowChange, FlowDriver } from './flow-driver.js';
import { parseDumpFlows } from './parse-dump.js';
import { mgmtTarget } from './mgmt-target.js';
import { cookieFilterArg, type CookieFilter } from './cookie-filter.js';
import { FlowApplyError } from './errors/flow-apply-error.js';
import { FlowDumpError } from './errors/flow-dump-error.js';

/** OpenFlow version spoken to the bridge (the bridge allows OpenFlow13,OpenFlow15). */
export const OFCTL_PROTOCOL = 'OpenFlow15';
/** A bundle of tens of thousands of flows takes seconds; a hung switch must not hang us forever. */
export const OFCTL_TIMEOUT_MS = 60_000;

export interface OfctlDriverOptions {
  /** Directory holding `<bridge>.mgmt` sockets (OVS_RUNDIR). */
  readonly ovsRundir: string;
  /** The flows this driver dumps (the caller's own, by cookie); flows outside it are never read, changed or deleted. */
  readonly cookie: CookieFilter;
  /** Namespace to run ovs-ofctl in (unix sockets work from anywhere; kept for tcp targets). */
  readonly hostNetns?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Called once per child process started (for the process-spawn metric). */
  readonly onSpawn?: () => void;
}

/** The bundle text for `ovs-ofctl --bundle add-flows BRIDGE -`: deletes first, then adds. */
export function bundleText(change: FlowChange): string {
  const lines: string[] = [];
  for (const f of change.del) lines.push(`delete_strict ${flowToStrictDeleteText(f)}`);
  for (const f of change.add) lines.push(`add ${flowToText(f)}`);
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** Programs flows with one ovs-ofctl process per dump and per bundle, never per flow. */
export class OfctlDriver implements FlowDriver {
  constructor(private readonly opts: OfctlDriverOptions) {}

  /** `unix:` management socket of a bridge. */
  target(bridge: string): string {
    return mgmtTarget(this.opts.ovsRundir, bridge);
  }

  async dump(bridge: string): Promise<Flow[]> {
    let out: string;
    try {
      out = (await this.ofctl(['-O', OFCTL_PROTOCOL, '--no-stats', '--no-names', 'dump-flows', this.target(bridge), cookieFilterArg(this.opts.cookie)])).stdout;
    } catch (err) {
      throw new FlowDumpError(bridge, { cause: err });
    }
    return parseDumpFlows(out);
  }

  async apply(bridge: string, change: FlowChange): Promise<void> {
    const input = bundleText(change);
    if (input === '') return;
    try {
      await this.ofctl(['-O', OFCTL_PROTOCOL, '--bundle', '--no-names', 'add-flows', this.target(bridge), '-'], input);
    } catch (err) {
      throw new FlowApplyError(bridge, change.add.length, change.del.length, { cause: err });
    }
  }

  private ofctl(args: string[], input?: string) {
    this.opts.onSpawn?.();
    return run('ovs-ofctl', args, {
      timeoutMs: OFCTL_TIMEOUT_MS,
      ...(input !== undefined ? { input } : {}),
      ...(this.opts.hostNetns !== undefined ? { netns: this.opts.hostNetns } : {}),
      ...(this.opts.env !== undefined ? { env: this.opts.env } : {}),
    });
  }
}
