import { run } from '../../src/exec/run.js';

/** One feature line of `ethtool -k IF`: its state, and whether the driver lets it change. */
export interface EthtoolFeature {
  readonly on: boolean;
  readonly fixed: boolean;
}

/**
 * Parses `ethtool -k IF` ("Features for eth0:", then `name: on|off` lines,
 * sub-features indented, optionally `[fixed]` or `[requested on]`).
 * Lines that are not features are skipped.
 */
export function parseEthtoolFeatures(text: string): Map<string, EthtoolFeature> {
  const out = new Map<string, EthtoolFeature>();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z0-9_-]+):\s+(on|off)\b(.*)$/.exec(line);
    if (!m) continue;
    const [, name, state, rest] = m as unknown as [string, string, string, string];
    out.set(name, { on: state === 'on', fixed: /\[fixed\]/.test(rest) });
  }
  return out;
}

/** The offloads that decide whether a veth end sends partial checksums and large segments. */
export interface OffloadState {
  /** tx-checksumming: the end leaves TCP/UDP checksums to "the hardware" (CHECKSUM_PARTIAL). */
  readonly txChecksum: boolean;
  /** tx-tcp-segmentation: the end sends IPv4 TCP segments larger than the MTU. */
  readonly tso: boolean;
  readonly gso: boolean;
  readonly gro: boolean;
}

/**
 * The summary above from parsed features; undefined when a needed line is
 * missing. TSO is read from `tx-tcp-segmentation`, not from the
 * `tcp-segmentation-offload` summary line: ethtool prints that line "on"
 * when any TCP segmentation sub-feature is on, and on Linux 6.18
 * `tx-tcp-accecn-segmentation` stays on after `tx off` although IPv4 and
 * IPv6 TSO are dropped (older ethtool without the sub-feature lines: the
 * summary line).
 */
export function offloadState(features: ReadonlyMap<string, EthtoolFeature>): OffloadState | undefined {
  const f = (name: string): boolean | undefined => features.get(name)?.on;
  const txChecksum = f('tx-checksumming');
  const tso = f('tx-tcp-segmentation') ?? f('tcp-segmentation-offload');
  const gso = f('generic-segmentation-offload');
  const gro = f('generic-receive-offload');
  if (txChecksum === undefined || tso === undefined || gso === undefined || gro === undefined) return undefined;
  return { txChecksum, tso, gso, gro };
}

/** "tx-csum on, TSO on, GSO on, GRO off", for tables. */
export function formatOffloads(s: OffloadState | undefined): string {
  if (!s) return 'unknown';
  const o = (b: boolean): string => (b ? 'on' : 'off');
  return `tx-csum ${o(s.txChecksum)}, TSO ${o(s.tso)}, GSO ${o(s.gso)}, GRO ${o(s.gro)}`;
}

/** `ethtool -k IF` inside a namespace. */
export async function readOffloads(nsPath: string, ifName: string): Promise<OffloadState | undefined> {
  const r = await run('ethtool', ['-k', ifName], { netns: nsPath, timeoutMs: 10_000 });
  return offloadState(parseEthtoolFeatures(r.stdout));
}

/** `ethtool -K IF tx on|off` inside a namespace (tx off also turns off TSO, which needs it). */
export async function setTxChecksum(nsPath: string, ifName: string, on: boolean): Promise<void> {
  await run('ethtool', ['-K', ifName, 'tx', on ? 'on' : 'off'], { netns: nsPath, timeoutMs: 10_000 });
}
