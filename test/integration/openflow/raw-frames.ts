import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { run } from '../../../src/exec/run.js';

/** Debian's python with scapy (the python3 on PATH may be another one, without it). */
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'raw-frames.py');

export interface FrameSpec {
  readonly srcMac: string;
  readonly srcIp: string;
  readonly dstMac: string;
  readonly dstIp: string;
  /** An address no port has (the ARP frames ask for it, so the switch floods instead of answering). */
  readonly unusedIp: string;
  /** 802.1Q VLAN ids to tag with; the first is also the S-tag/C-tag of the QinQ frames. */
  readonly vlanIds: readonly number[];
  /** Kinds to send (default: all the script knows). */
  readonly kinds?: readonly string[];
  /** Frames of each kind (default 10). */
  readonly count?: number;
}

export type Received = Record<string, { frames: number; tagged: number }>;

/** Sends crafted frames out of `ifName` in a namespace (scapy); returns frames sent per kind. */
export async function sendFrames(nsPath: string, spec: FrameSpec, ifName = 'eth0'): Promise<Record<string, number>> {
  const r = await run('nsenter', [`--net=${nsPath}`, PYTHON, SCRIPT, 'send', ifName, JSON.stringify(spec)]);
  return JSON.parse(r.stdout) as Record<string, number>;
}

/**
 * Counts our marked frames arriving on `ifName` in a namespace (AF_PACKET
 * socket) from now until stop(). The capture process is ended by closing its
 * stdin, or by its own pid if it does not finish.
 */
export async function startCapture(nsPath: string, ifName = 'eth0'): Promise<{ stop(): Promise<Received>; abort(): void }> {
  const child = execa('nsenter', [`--net=${nsPath}`, PYTHON, SCRIPT, 'capture', ifName], { stdin: 'pipe', reject: false, timeout: 60_000 });
  let out = '';
  child.stdout.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    const onData = (c: string): void => {
      out += c;
      if (out.includes('ready\n')) {
        child.stdout.off('data', onData);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    void child.then((r) => reject(new Error(`capture in ${nsPath} ended before it was ready: ${r.stderr || r.stdout}`)));
  });
  return {
    async stop(): Promise<Received> {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const r = await child;
      clearTimeout(timer);
      const last = r.stdout.trim().split('\n').at(-1) ?? '';
      if (r.exitCode !== 0 || !last.startsWith('{')) throw new Error(`capture in ${nsPath} failed (exit ${r.exitCode}): ${r.stderr}`);
      return JSON.parse(last) as Received;
    },
    /** Ends the capture process (by its own pid) without reading a result: cleanup after a failure. */
    abort(): void {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
