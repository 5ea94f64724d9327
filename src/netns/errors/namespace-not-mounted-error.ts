import { NsvswitchError } from '../../errors/nsvswitch-error.js';

/**
 * Files in a namespace directory that never became nsfs mounts (stray
 * files): ignored, and reported in bulk, one error for many files.
 */
export class NamespaceNotMountedError extends NsvswitchError {
  readonly dir: string;
  /** How many files this report is about. */
  readonly count: number;
  /** A few of their names (untrusted data). */
  readonly examples: readonly string[];
  /** The readiness wait (readinessMaxWaitMs) they were given. */
  readonly waitedMs: number;
  /** Of `count`, given up on early: more files were pending at once than are re-checked. */
  readonly cutShort: number;
  /** Of `count`, not remembered (the per-directory memory of stray files is full). */
  readonly notRemembered: number;

  constructor(dir: string, report: { count: number; examples: readonly string[]; cutShort: number; notRemembered: number }, waitedMs: number) {
    const files = report.count === 1 ? '1 file' : `${report.count} files`;
    const eg = report.examples.map((n) => JSON.stringify(n)).join(', ');
    const more = report.count > report.examples.length ? `, ... (${report.count - report.examples.length} more)` : '';
    const early = report.cutShort > 0 ? `; ${report.cutShort} of them given up on early (too many pending at once)` : '';
    const forgot = report.notRemembered > 0 ? `; ${report.notRemembered} not remembered (too many stray files): later full scans skip unknown pending files until fewer remain` : '';
    super(`${files} in namespace directory ${JSON.stringify(dir)} ${report.count === 1 ? 'is' : 'are'} not an nsfs mount after up to ${waitedMs} ms: ${eg}${more}; ignoring them until they change${early}${forgot}`);
    this.dir = dir;
    this.count = report.count;
    this.examples = report.examples;
    this.waitedMs = waitedMs;
    this.cutShort = report.cutShort;
    this.notRemembered = report.notRemembered;
  }
}
