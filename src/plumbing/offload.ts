import { run } from '../exec/run.js';
import { loadNative, type NativeAddon } from '../native/native.js';
import { applyPerNamespace, type NamespaceTarget } from './per-namespace.js';

/** Time limit of one fallback `ethtool` process, ms. */
export const ETHTOOL_TIMEOUT_MS = 30_000;

/** One workload-side veth end, in its (pinned) namespace. */
export type OffloadTarget = NamespaceTarget;

/**
 * Turns transmit checksum offload off on the workload end of veths.
 *
 * Why: a veth hands frames on with the checksum left for "hardware" to fill
 * in (CHECKSUM_PARTIAL). The kernel datapath finishes it; the userspace
 * datapath reads frames from a packet socket and forwards them as they are,
 * so every TCP and UDP segment reaches the peer with a wrong checksum and is
 * dropped (ICMP is not offloaded, which is why ping worked). With tx
 * checksumming off the workload's kernel computes the checksums itself (and
 * segmentation offloads, which depend on it, go with it).
 *
 * In-process through the native addon (setns + SIOCETHTOOL on the calling
 * thread, no process); without it, one `ethtool -K` per namespace.
 */
export class TxChecksumOffload {
  private readonly native: NativeAddon | undefined;

  constructor(opts: { native?: NativeAddon | null; onSpawn?: (program: string) => void; concurrency?: number } = {}) {
    this.native = opts.native === null ? undefined : (opts.native ?? loadNative().addon);
    this.onSpawn = opts.onSpawn ?? (() => undefined);
    this.concurrency = opts.concurrency ?? 8;
  }

  private readonly onSpawn: (program: string) => void;
  private readonly concurrency: number;

  /** Whether the in-process path is used. */
  get inProcess(): boolean {
    return this.native !== undefined;
  }

  /** Errors by target index; targets not in the map succeeded. */
  disable(targets: readonly OffloadTarget[]): Promise<Map<number, Error>> {
    const native = this.native;
    return applyPerNamespace(
      targets,
      this.concurrency,
      native && ((t) => native.setTxChecksum(t.fd, t.ifname, false)),
      async (t) => {
        this.onSpawn('nsenter');
        await run('ethtool', ['-K', t.ifname, 'tx', 'off'], { netns: t.ref, timeoutMs: ETHTOOL_TIMEOUT_MS });
      },
    );
  }
}
