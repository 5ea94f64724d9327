import { pino, type Logger as PinoLogger } from 'pino';
import type { LogLevel } from '../config/types.js';

export type Logger = PinoLogger;

export interface LoggerOptions {
  readonly level?: LogLevel;
  /** Human-readable lines (pino-pretty) instead of JSON; default: stdout is a TTY. */
  readonly pretty?: boolean;
  /** Write to this fd instead of stdout (1); 2 for CLIs whose stdout is their output. */
  readonly fd?: number;
}

/** JSON lines to stdout for machines, readable lines for people at a terminal. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const fd = opts.fd ?? 1;
  const pretty = opts.pretty ?? (fd === 1 ? process.stdout.isTTY : process.stderr.isTTY) ?? false;
  const level = opts.level ?? 'info';
  if (pretty) {
    return pino({ level, base: undefined }, pino.transport({ target: 'pino-pretty', options: { destination: fd, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } }));
  }
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd, sync: false }));
}

/** A logger that drops everything (for unit tests and library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
