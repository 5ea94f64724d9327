/** What `ip [-force] -batch` said on stderr, split by the batch line it belongs to. */
export interface BatchErrors {
  /** 1-based batch line → ip's message for it. */
  readonly byLine: ReadonlyMap<number, string>;
  /** Text after the last "Command failed" line: a fatal error that ended ip early. */
  readonly trailing: string;
}

const FAILED = /^Command failed (.*):(\d+)$/;

/**
 * ip prints a command's error message(s) and then "Command failed -:N"; this
 * turns that into per-line reasons so each failure is attributed to its spec.
 */
export function parseBatchErrors(stderr: string): BatchErrors {
  const byLine = new Map<number, string>();
  let pending: string[] = [];
  for (const raw of stderr.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const m = FAILED.exec(line);
    if (m) {
      byLine.set(Number(m[2]), pending.join('; ') || 'failed');
      pending = [];
    } else {
      pending.push(line);
    }
  }
  return { byLine, trailing: pending.join('; ') };
}

/** ip's netlink message without its "RTNETLINK answers:" / "Error:" prefix. */
export function plainReason(message: string): string {
  return message.replace(/^(RTNETLINK answers|Error):\s*/, '');
}
