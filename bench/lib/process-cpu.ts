import { readFile } from 'node:fs/promises';
import { run } from '../../src/exec/run.js';

/**
 * User plus system CPU ticks of a process from /proc/PID/stat text (fields
 * 14 and 15). The command name (field 2) is in parentheses and may itself
 * contain spaces and parentheses, so fields are counted after the last ')'.
 */
export function parseProcStatCpuTicks(text: string): number | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // After ") ": field 3 (state) is index 0, so utime (14) is index 11 and stime (15) index 12.
  const rest = text.slice(close + 2).trim().split(/\s+/);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return Number.isInteger(utime) && Number.isInteger(stime) ? utime + stime : undefined;
}

let clockTicks: number | undefined;

/** The kernel's clock ticks per second for /proc times (`getconf CLK_TCK`, 100 when that fails). */
export async function clockTicksPerSecond(): Promise<number> {
  if (clockTicks === undefined) {
    const v = Number((await run('getconf', ['CLK_TCK']).catch(() => ({ stdout: '' }))).stdout.trim());
    clockTicks = Number.isInteger(v) && v > 0 ? v : 100;
  }
  return clockTicks;
}

/** CPU seconds a process has used so far, by pid (no spawn); undefined once it is gone. */
export async function processCpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const ticks = parseProcStatCpuTicks(await readFile(`/proc/${pid}/stat`, 'utf8'));
    return ticks === undefined ? undefined : ticks / (await clockTicksPerSecond());
  } catch {
    return undefined;
  }
}
