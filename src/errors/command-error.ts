import { NsvswitchError } from './nsvswitch-error.js';

/** A child process exited non-zero, was killed, or could not start. */
export class CommandError extends NsvswitchError {
  readonly argv: readonly string[];
  readonly exitCode: number | undefined;
  readonly stderr: string;

  constructor(argv: readonly string[], exitCode: number | undefined, stderr: string, options?: { cause?: unknown }) {
    const tail = stderr.trim().split('\n').slice(-3).join(' | ');
    super(`Command failed (exit ${exitCode ?? 'signal'}): ${argv.join(' ')}${tail ? `: ${tail}` : ''}`, options);
    this.argv = argv;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}
