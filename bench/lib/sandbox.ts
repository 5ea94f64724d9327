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

/**
 * A fresh private OVS for one contender, optionally with a netdev bridge
 * (none when the contender creates its own). Its teardown is registered for
 * Ctrl-C before anything else can fail.
 */
export async function startBenchSandbox(label: string, bridge?: string): Promise<BenchSandbox> {
  const sb = await OvsSandbox.start({ label, baseDir: benchRoot() });
  const stop = deferCleanup(`OVS sandbox ${sb.dir}`, () => sb.stop());
  try {
    if (bridge !== undefined) await sb.addBridge(bridge);
  } catch (err) {
    await stop();
    throw err;
  }
  return { sb, stop };
}
