import { tmpdir } from 'node:os';
import { OvsSandbox } from '../../src/sandbox/ovs-sandbox.js';
import { deferCleanup } from './cleanup.js';

/** Where bench sandboxes go: NSVS_BENCH_ROOT, else the OS temp dir. */
export function benchRoot(): string {
  return process.env.NSVS_BENCH_ROOT ?? tmpdir();
}

export interface BenchSandbox {
  readonly sb: OvsSandbox;
  /** Stops OVS and removes the namespaces and the dir (once; also run on Ctrl-C). */
  readonly stop: () => Promise<void>;
}

export interface BenchSandboxOptions {
  /**
   * `Open_vSwitch . other_config` keys ovs-vswitchd reads only when it
   * starts (e.g. `userspace-tso-enable`): written to the database before
   * ovs-vswitchd is started, which is what restarting it with the setting
   * amounts to.
   */
  readonly vswitchdOtherConfig?: Readonly<Record<string, string>>;
}

/**
 * A fresh private OVS for one contender, optionally with a netdev bridge
 * (none when the contender creates its own). Its teardown is registered for
 * Ctrl-C before anything else can fail.
 */
export async function startBenchSandbox(label: string, bridge?: string, opts: BenchSandboxOptions = {}): Promise<BenchSandbox> {
  const otherConfig = Object.entries(opts.vswitchdOtherConfig ?? {});
  const sb = await OvsSandbox.start({ label, baseDir: benchRoot(), ...(otherConfig.length > 0 ? { vswitchd: false } : {}) });
  const stop = deferCleanup(`OVS sandbox ${sb.dir}`, () => sb.stop());
  try {
    if (otherConfig.length > 0) {
      await sb.vsctl('--no-wait', 'set', 'Open_vSwitch', '.', ...otherConfig.map(([k, v]) => `other_config:${k}=${v}`));
      await sb.startVswitchd();
    }
    if (bridge !== undefined) await sb.addBridge(bridge);
  } catch (err) {
    await stop();
    throw err;
  }
  return { sb, stop };
}
