import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../../src/exec/run.js';
import { startCapture, type Received } from '../openflow/raw-frames.js';

/** Debian's python with scapy (the python3 on PATH may be another one, without it). */
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'spoof-frames.py');

export interface SpoofFrame {
  /** Name the far end counts the frame under. */
  readonly kind: string;
  readonly srcMac: string;
  readonly srcIp: string;
}

export interface SpoofSpec {
  readonly dstMac: string;
  readonly dstIp: string;
  readonly frames: readonly SpoofFrame[];
  /** Copies of each frame (default 5). */
  readonly count?: number;
}

/**
 * Sends the frames out of `ifName` in namespace `from` and counts, per kind,
 * what arrives on `ifName` in namespace `to` (a capture running from before
 * the first frame until `settleMs` after the last).
 */
export async function spoofAcross(from: string, to: string, spec: SpoofSpec, opts: { ifName?: string; settleMs?: number } = {}): Promise<{ sent: Record<string, number>; received: Received }> {
  const ifName = opts.ifName ?? 'eth0';
  const cap = await startCapture(to, ifName);
  try {
    const r = await run('nsenter', [`--net=${from}`, PYTHON, SCRIPT, ifName, JSON.stringify({ count: 5, ...spec })]);
    await new Promise((resolve) => setTimeout(resolve, opts.settleMs ?? 1000));
    return { sent: JSON.parse(r.stdout) as Record<string, number>, received: await cap.stop() };
  } catch (err) {
    cap.abort();
    throw err;
  }
}
