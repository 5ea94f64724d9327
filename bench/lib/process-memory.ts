import { readFile } from 'node:fs/promises';

/** What the kernel says about one process's memory, in bytes. */
export interface ProcessMemory {
  /** Name from /proc/PID/status (checks that the pid is the agent's node, not a wrapper). */
  readonly name: string;
  readonly vmRss: number;
  readonly vmHwm: number;
}

/** Parses /proc/PID/status text; undefined when a field is missing. */
export function parseProcStatus(text: string): ProcessMemory | undefined {
  const field = (k: string): string | undefined => new RegExp(`^${k}:\\s*(.+)$`, 'm').exec(text)?.[1]?.trim();
  const kib = (k: string): number | undefined => {
    const m = /^(\d+)\s*kB$/.exec(field(k) ?? '');
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const name = field('Name');
  const vmRss = kib('VmRSS');
  const vmHwm = kib('VmHWM');
  if (name === undefined || vmRss === undefined || vmHwm === undefined) return undefined;
  return { name, vmRss, vmHwm };
}

/** VmRSS and VmHWM of a process by pid (no spawn); undefined once it is gone. */
export async function processMemory(pid: number): Promise<ProcessMemory | undefined> {
  try {
    return parseProcStatus(await readFile(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}
